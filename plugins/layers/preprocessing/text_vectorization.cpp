// TextVectorization at inference with Keras's built-in steps: standardize
// ("lower_and_strip_punctuation", "lower", "strip_punctuation" or null), split ("whitespace",
// "character" or null), then a StringLookup with mask token "" (index 0, the padding) and one
// OOV index ("[UNK]", 1). output_mode int pads each row's indices with 0 to
// output_sequence_length (cutting longer rows), or without one to the batch's longest row;
// multi_hot, count and tf_idf encode each row's tokens; ngrams join neighbouring tokens by " " as
// tf.strings.ngrams. Ragged and sparse outputs and
// custom (Python) standardize / split functions are refused by name. The vocabulary is the
// config's list; a Keras 3 archive's adapted one comes from its assets as for the lookups.
#include "index_lookup.hpp"
#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"
#include "text_tokens.hpp"

namespace ksave::plugins::preprocessing {
namespace {

class TextVectorization : public PreprocessingLayer {
 public:
  explicit TextVectorization(const Json& config) : PreprocessingLayer(config, "TextVectorization") {
    const ConfigReader& r = reader();
    standardize_ = optional_choice("standardize", {"lower_and_strip_punctuation", "lower", "strip_punctuation"});
    split_ = optional_choice("split", {"whitespace", "character"});  // Keras's defaults: the first of each
    read_ngrams();
    mode_ = r.get<std::string>("output_mode", "int");
    if (mode_ == "binary") mode_ = "multi_hot";
    if (mode_ == "tf-idf") mode_ = "tf_idf";
    if (mode_ != "int" && mode_ != "multi_hot" && mode_ != "count" && mode_ != "tf_idf")
      throw Error(object() + ": output_mode '" + mode_ + "' is not supported (int, multi_hot, count, tf_idf)");
    if (r.get<bool>("ragged", false)) throw Error(object() + ": ragged outputs are not supported");
    if (const Json* n = r.find("output_sequence_length"); n && !n->is_null()) {
      sequence_length_ = r.require<std::int64_t>("output_sequence_length");
      if (*sequence_length_ < 0)
        throw Error(object() + ": output_sequence_length must not be negative, found " + std::to_string(*sequence_length_));
    }
    // Keras's own StringLookup inside the layer, with TextVectorization's fixed special tokens.
    Json lookup = {{"name", name() + "_lookup"}, {"mask_token", ""}, {"oov_token", "[UNK]"}, {"num_oov_indices", 1},
                   {"output_mode", mode_}};
    for (const char* key : {"vocabulary", "max_tokens", "pad_to_max_tokens", "sparse", "encoding", "vocabulary_size", "idf_weights"})
      if (const Json* v = r.find(key)) lookup[key] = *v;
    lookup_ = make_string_lookup(lookup);
    // tf_idf's weights are the lookup's variable, made now, with the lookup tracked as Keras tracks
    // its _lookup_layer: tf-keras stores it as this layer's weight (and under _lookup_layer in a
    // checkpoint); Keras 3 at layers/<path>/_lookup_layer/vars and again as this layer's own.
    if (mode_ == "tf_idf") {
      lookup_->build(Shape{kUnknown, kUnknown});
      track_layer("_lookup_layer", lookup_);
    }
  }

  Json get_config() const override {
    Json c = PreprocessingLayer::get_config();
    // An adapted tf_idf layer's weights go into the config with the whole vocabulary (the lookup's rule).
    if (mode_ == "tf_idf") {
      const Json inner = lookup_->get_config();
      for (const char* key : {"vocabulary", "idf_weights"}) c[key] = inner.value(key, Json(nullptr));
    }
    return c;
  }

 protected:
  Tensors call(const Tensors& inputs, const CallContext&) override {
    Tensor x = inputs.at(0);
    if (x.dtype() != DType::String) throw Error(object() + ": takes strings, found " + std::string(dtype_name(x.dtype())) + " inputs");
    std::vector<std::string> text = x.string_values();
    for (std::string& t : text) t = standardized(t);
    if (split_.empty()) return {(*lookup_)(Tensor::strings(text, x.shape()))};
    // Keras squeezes a last axis of 1 before splitting; anything else is one string per row.
    Shape shape = x.shape();
    if (shape.size() > 1 && shape.back() == 1) shape.pop_back();
    if (shape.size() != 1)
      throw Error(object() + ": splits a batch of single strings, shape (batch,) or (batch, 1), found " + shape_to_string(x.shape()));
    std::vector<std::vector<std::string>> rows;
    std::size_t longest = 0;
    for (const std::string& t : text) {
      rows.push_back(with_ngrams(split_ == "whitespace" ? split_whitespace(t) : split_characters(t)));
      longest = std::max(longest, rows.back().size());
    }
    // Padding with the mask token "" gives index 0 in int mode and nothing in the encodings.
    const std::size_t width = mode_ == "int" && sequence_length_ ? static_cast<std::size_t>(*sequence_length_) : longest;
    std::vector<std::string> dense(rows.size() * width);
    for (std::size_t row = 0; row < rows.size(); ++row)
      for (std::size_t i = 0; i < width && i < rows[row].size(); ++i) dense[row * width + i] = rows[row][i];
    return {(*lookup_)(Tensor::strings(dense, {static_cast<Dim>(rows.size()), static_cast<Dim>(width)}))};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape shape = shapes.at(0);
    if (!split_.empty() && shape.size() > 1 && shape.back() == 1) shape.pop_back();
    if (mode_ == "int") {
      if (!split_.empty()) shape.push_back(sequence_length_ ? *sequence_length_ : kUnknown);
      return {shape};
    }
    if (split_.empty() && shape.size() > 1) shape.pop_back();
    return {lookup_->output_shapes({split_.empty() ? shapes.at(0) : Shape{shape.at(0), kUnknown}}).at(0)};
  }
  DType output_dtype(const std::vector<DType>&) const override { return mode_ == "int" ? DType::Int64 : DType::Float32; }

 private:
  // A config key naming one of Keras's built-in steps (absent: the first, Keras's default), or
  // null ("" here); a Python callable (serialized by name) is refused.
  std::string optional_choice(const char* key, std::initializer_list<const char*> choices) const {
    const Json* v = reader().find(key);
    if (!v) return *choices.begin();
    if (v->is_null()) return "";
    if (v->is_string())
      for (const char* c : choices)
        if (v->get<std::string>() == c) return c;
    throw Error(object() + ": " + key + " " + v->dump() + " is not one of Keras's built-in steps ksave runs");
  }

  // ngrams: null, n (widths 1..n) or a list of widths; tokens are then tf.strings.ngrams': for
  // each width in turn, every window of the row joined by " " (characters too).
  void read_ngrams() {
    const Json* n = reader().find("ngrams");
    if (!n || n->is_null()) return;
    const auto bad = [&] { return Error(object() + ": ngrams must be a positive integer or a list of them, found " + n->dump()); };
    if (n->is_number_integer()) {
      const auto width = n->get<std::int64_t>();
      if (width < 1 || width > 64) throw bad();
      for (std::int64_t w = 1; w <= width; ++w) ngram_widths_.push_back(static_cast<std::size_t>(w));
    } else if (n->is_array() && !n->empty()) {
      for (const Json& w : *n) {
        if (!w.is_number_integer() || w.get<std::int64_t>() < 1 || w.get<std::int64_t>() > 64) throw bad();
        ngram_widths_.push_back(w.get<std::size_t>());
      }
    } else {
      throw bad();
    }
    if (split_.empty()) throw Error(object() + ": ngrams need a split (Keras makes them from the split tokens), found split null");
  }

  std::vector<std::string> with_ngrams(std::vector<std::string> tokens) const {
    if (ngram_widths_.empty()) return tokens;
    std::vector<std::string> out;
    for (std::size_t width : ngram_widths_)
      for (std::size_t start = 0; start + width <= tokens.size(); ++start) {
        std::string gram = tokens[start];
        for (std::size_t i = 1; i < width; ++i) gram += " " + tokens[start + i];
        out.push_back(std::move(gram));
      }
    return out;
  }

  std::string standardized(const std::string& text) const {
    if (standardize_ == "lower") return lower_ascii(text);
    if (standardize_ == "strip_punctuation") return strip_punctuation(text);
    if (standardize_ == "lower_and_strip_punctuation") return strip_punctuation(lower_ascii(text));
    return text;
  }

  std::string standardize_, split_, mode_;
  std::optional<std::int64_t> sequence_length_;
  std::vector<std::size_t> ngram_widths_;
  LayerPtr lookup_;
};

}  // namespace

void register_text_vectorization(PluginRegistrar& r) { r.layer<TextVectorization>("TextVectorization"); }

}  // namespace ksave::plugins::preprocessing
