// Keras's losses, registered under their class names and their function names (and the short
// aliases Keras accepts), as keras.losses.get resolves them.
#include "crossentropy.hpp"
#include "regression.hpp"

namespace {

void register_losses(ksave::PluginRegistrar& r) {
  using namespace ksave::losses;
  register_loss<MeanSquaredError>(r, "MeanSquaredError", {"mean_squared_error", "mse", "MSE"});
  register_loss<MeanAbsoluteError>(r, "MeanAbsoluteError", {"mean_absolute_error", "mae", "MAE"});
  register_loss<MeanAbsolutePercentageError>(r, "MeanAbsolutePercentageError",
                                             {"mean_absolute_percentage_error", "mape", "MAPE"});
  register_loss<MeanSquaredLogarithmicError>(r, "MeanSquaredLogarithmicError",
                                             {"mean_squared_logarithmic_error", "msle", "MSLE"});
  register_loss<Huber>(r, "Huber", {"huber", "huber_loss"});
  register_loss<LogCosh>(r, "LogCosh", {"log_cosh", "logcosh"});
  register_loss<BinaryCrossentropy>(r, "BinaryCrossentropy", {"binary_crossentropy"});
  register_loss<CategoricalCrossentropy>(r, "CategoricalCrossentropy", {"categorical_crossentropy"});
  register_loss<SparseCategoricalCrossentropy>(r, "SparseCategoricalCrossentropy",
                                               {"sparse_categorical_crossentropy"});
  register_loss<KLDivergence>(r, "KLDivergence",
                              {"kl_divergence", "kld", "KLD", "kullback_leibler_divergence"});
  register_loss<Poisson>(r, "Poisson", {"poisson"});
  register_loss<Hinge>(r, "Hinge", {"hinge"});
  register_loss<SquaredHinge>(r, "SquaredHinge", {"squared_hinge"});
  register_loss<CosineSimilarity>(r, "CosineSimilarity", {"cosine_similarity"});
}

}  // namespace

KSAVE_PLUGIN("losses", "0.1.0", register_losses)
