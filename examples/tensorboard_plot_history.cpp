// Watching a training run as Keras users do: the guide's transfer-learning model (the
// "pretrained" digits MLP nested in a Sequential with a new "predictions" head) drawn with
// plot_model, trained with the TensorBoard and CSVLogger callbacks, and saved. The README's
// picture is `ksave plot` of the saved model; `tensorboard --logdir <work dir>/logs` shows the run.
#include <fstream>

#include "guide_support.hpp"
#include "ksave/plot.hpp"
#include "ksave/tensorboard.hpp"

int main() {
  return guide::run("tensorboard_plot_history", [] {
    const auto dir = guide::work_dir("tensorboard_plot_history");
    // inputs = keras.Input(shape=(784,), name="digits"); dense_1, dense_2 (64, relu)
    // pretrained_model = keras.Model(inputs, x, name="pretrained")
    // model = keras.Sequential([pretrained_model, keras.layers.Dense(5, name="predictions")])
    auto inputs = ksave::Input({784}, "digits");
    auto x = (*guide::dense(64, "dense_1", "relu"))(inputs);
    x = (*guide::dense(64, "dense_2", "relu"))(x);
    auto pretrained = std::make_shared<ksave::Functional>(ksave::KerasTensors{inputs}, ksave::KerasTensors{x}, "pretrained");
    auto model = std::make_shared<ksave::Sequential>(std::vector<ksave::LayerPtr>{pretrained, guide::dense(5, "predictions")});
    model->compile("adam", "mean_squared_error", ksave::Json::array({"mae"}));

    // keras.utils.plot_model(model, "model.dot", show_shapes=True, expand_nested=True)
    ksave::PlotOptions plot;
    plot.show_shapes = true;
    plot.expand_nested = true;
    ksave::plot_model(*model, dir / "model.dot", plot);
    std::ifstream dot(dir / "model.dot");
    const std::string text{std::istreambuf_iterator<char>(dot), std::istreambuf_iterator<char>()};
    guide::check(guide::contains(text, "subgraph cluster_pretrained"), "the nested model is drawn as a cluster");

    // model.fit(x, y, validation_split=0.2, callbacks=[TensorBoard("logs", histogram_freq=1),
    //                                                   CSVLogger("history.csv")])
    ksave::FitOptions options;
    options.epochs = 3;
    options.batch_size = 16;
    options.verbose = 0;
    options.validation_split = 0.2;
    options.seed = 1;
    ksave::tensorboard::TensorBoardOptions board;
    board.histogram_freq = 1;
    options.callbacks = {std::make_shared<ksave::tensorboard::TensorBoard>(dir / "logs", board),
                         std::make_shared<ksave::CSVLogger>(dir / "history.csv")};
    const auto history = model->fit({guide::random_array({80, 784}, 1)}, {guide::random_array({80, 5}, 2)}, options);
    guide::check(history.epochs.size() == 3, "three epochs trained");
    guide::check(std::filesystem::exists(dir / "logs" / "train") && std::filesystem::exists(dir / "logs" / "validation"),
                 "train and validation runs are logged");
    std::ifstream csv(dir / "history.csv");
    std::string header;
    std::getline(csv, header);
    guide::check(header == "epoch,loss,mae,val_loss,val_mae\r", "the CSV history has Keras's columns");
    ksave::save_model(*model, dir / "model.h5");
  });
}
