// StringLookup and IntegerLookup at inference, as Keras's IndexLookup computes them (tf-keras 2.x
// and Keras 3 agree). Indices are laid out [mask (output_mode int only)] [OOV × num_oov_indices]
// [tokens]. A token maps to its index; the mask token to 0 (int) or to nothing (the encoding
// modes drop it); any other value is out of vocabulary: an error with num_oov_indices 0, the
// one OOV index with 1, and with more a bucket among them: integers floormod num_oov_indices
// (Keras 3's oov_method "farmhash" hashes their decimal text instead), strings
// tf.strings.to_hash_bucket_fast (FarmHash Fingerprint64), or with Keras 3's salt
// to_hash_bucket_strong (SipHash-2-4). The indices are returned (int) or encoded (one_hot,
// multi_hot, count; tf_idf is count × the idf_weights variable). With invert, indices map back
// to tokens (0 to the mask token, unknown indices to the OOV token).
//
// The vocabulary comes from the config (a list, or tf-keras's file path); an adapted one is not
// in the config: a Keras 3 archive's loader hands the layer its assets' vocabulary.txt as the
// config's list, and a layer left without one refuses to run, naming why.
#include "index_lookup.hpp"

#include <array>
#include <charconv>
#include <optional>

#include "categorical.hpp"
#include "fingerprint64.hpp"
#include "ksave/op.hpp"
#include "ksave/ops.hpp"
#include "preprocessing_layer.hpp"
#include "siphash.hpp"
#include "vocabulary.hpp"

namespace ksave::plugins::preprocessing {
namespace {

std::string output_mode_of(const ConfigReader& r) {
  std::string mode = r.get<std::string>("output_mode", "int");
  if (mode == "binary") mode = "multi_hot";  // Keras's older names
  if (mode == "tf-idf") mode = "tf_idf";
  return mode;
}

class IndexLookup : public PreprocessingLayer {
 public:
  IndexLookup(const Json& config, const char* class_name, bool integers) : PreprocessingLayer(config, class_name), integers_(integers) {
    const ConfigReader& r = reader();
    invert_ = r.get<bool>("invert", false);
    mode_ = output_mode_of(r);
    if (mode_ != "int" && mode_ != "tf_idf" && !is_encoding_mode(mode_))
      throw Error(object() + ": output_mode '" + mode_ + "' is not supported (int, one_hot, multi_hot, count, tf_idf)");
    if (invert_ && mode_ != "int") throw Error(object() + ": invert needs output_mode 'int', found '" + mode_ + "'");
    if (r.get<bool>("sparse", false)) throw Error(object() + ": sparse outputs are not supported");
    num_oov_ = r.get<std::int64_t>("num_oov_indices", 1);
    if (num_oov_ < 0) throw Error(object() + ": num_oov_indices must not be negative, found " + std::to_string(num_oov_));
    if (const Json* m = r.find("max_tokens"); m && !m->is_null()) max_tokens_ = r.require<std::int64_t>("max_tokens");
    pad_ = r.get<bool>("pad_to_max_tokens", false);
    if (pad_ && mode_ != "int" && !max_tokens_) throw Error(object() + ": pad_to_max_tokens needs max_tokens");
    if (const Json* m = r.find("mask_token"); m && !m->is_null()) mask_ = token_text(*m, object());
    const Json* oov = r.find("oov_token");
    oov_token_ = oov && !oov->is_null() ? token_text(*oov, object()) : (integers_ ? "-1" : "[UNK]");
    const std::string encoding = r.get<std::string>("encoding", "utf-8");
    if (encoding != "utf-8" && encoding != "UTF-8") throw Error(object() + ": encoding '" + encoding + "' is not supported (utf-8)");
    if (integers_) {
      const std::string vocabulary_dtype = r.get<std::string>("vocabulary_dtype", "int64");
      if (vocabulary_dtype != "int64" && vocabulary_dtype != "int32")
        throw Error(object() + ": vocabulary_dtype '" + vocabulary_dtype + "' is not supported (int64, int32)");
      vocabulary_dtype_ = vocabulary_dtype == "int32" ? DType::Int32 : DType::Int64;
    }
    if (integers_) {
      require_integer(oov_token_, "oov_token");
      if (mask_) require_integer(*mask_, "mask_token");
    }
    farmhash_integers_ = r.get<std::string>("oov_method", "floormod") == "farmhash";
    read_salt();
    read_vocabulary();
  }

  Json get_config() const override {
    Json c = PreprocessingLayer::get_config();
    // tf_idf weights that came from the variable (a Keras 3 archive's adapted layer) go into the
    // config with the whole vocabulary, so that Keras, which needs both to build the layer, can;
    // with pad_to_max_tokens only the vocabulary's share (Keras pads the rest with zeros again).
    if (idf_ && vocabulary_ && (!c.contains("idf_weights") || c["idf_weights"].is_null())) {
      Json tokens = Json::array();
      for (const std::string& t : special_tokens()) tokens.push_back(token_json(t));
      for (const std::string& t : vocabulary_->tokens()) tokens.push_back(token_json(t));
      c["vocabulary"] = tokens;
      std::vector<float> weights = idf_->value().to_vector<float>();
      weights.resize(static_cast<std::size_t>(vocabulary_size()));
      c["idf_weights"] = weights;
    }
    return c;
  }

 protected:
  void build_impl(const std::vector<Shape>&) override {
    if (mode_ != "tf_idf" || idf_) return;
    // One float per index; tf-keras stores it as the layer's only weight, Keras 3 as vars/idf_weights.
    idf_ = add_weight({"idf_weights", {depth()}, DType::Float32, nullptr, nullptr, nullptr, false});
    if (!initial_idf_.empty()) idf_->assign(Tensor::from_vector(initial_idf_, {depth()}));
  }

  Tensors call(const Tensors& inputs, const CallContext&) override {
    // A table lookup has no TensorFlow form ksave can trace: refused rather than frozen.
    if (!fused_ops_allowed())
      throw Error(object() + ": a vocabulary lookup cannot be traced into a SavedModel's functions; save as .keras or .h5");
    if (!vocabulary_)
      throw Error(object() + ": has no vocabulary (an adapted vocabulary is not in the config: a Keras 3 archive keeps it in "
                             "assets/, a tf-keras SavedModel only inside its hash table's initializer, which ksave does not read)");
    const Tensor& x = inputs.at(0);
    if (invert_) return {invert(x)};
    const Tensor ids = lookup(x);
    if (mode_ == "int") return {dtype() == DType::Int64 || !is_integer(dtype()) ? ids : ops::cast(ids, dtype())};
    Tensor out = encode_categorical(ids, mode_ == "tf_idf" ? "count" : mode_, depth(), object());
    if (mode_ == "tf_idf") out = ops::mul(out, idf_->value());
    return {is_floating(dtype()) && dtype() != DType::Float32 ? ops::cast(out, dtype()) : out};
  }

  std::vector<Shape> compute_output_shape(const std::vector<Shape>& shapes) override {
    Shape shape = shapes.at(0);
    if (mode_ == "int") return {shape};
    if (shape.size() >= 2 && (mode_ != "one_hot" || shape.back() == 1)) shape.pop_back();
    shape.push_back(depth());
    return {shape};
  }
  DType output_dtype(const std::vector<DType>&) const override {
    if (invert_) return integers_ ? vocabulary_dtype_ : DType::String;
    if (mode_ == "int") return is_integer(dtype()) ? dtype() : DType::Int64;
    return is_floating(dtype()) ? dtype() : DType::Float32;
  }

 private:
  // The mask takes index 0 only in output_mode int; the encodings drop it.
  std::int64_t oov_start() const { return mask_ && mode_ == "int" ? 1 : 0; }
  std::int64_t token_start() const { return oov_start() + num_oov_; }
  std::int64_t vocabulary_size() const {
    if (vocabulary_) return token_start() + static_cast<std::int64_t>(vocabulary_->tokens().size());
    return reader().get<std::int64_t>("vocabulary_size", token_start());  // Keras's frozen size, for a vocabulary still to come
  }
  std::int64_t depth() const { return pad_ && max_tokens_ ? *max_tokens_ : vocabulary_size(); }
  std::vector<std::string> special_tokens() const {
    std::vector<std::string> s(static_cast<std::size_t>(oov_start()), mask_.value_or(""));
    s.insert(s.end(), static_cast<std::size_t>(num_oov_), oov_token_);
    return s;
  }
  Json token_json(const std::string& text) const { return integers_ ? Json(std::stoll(text)) : Json(text); }

  // IntegerLookup's tokens are int64 values (their text is what the table compares).
  void require_integer(const std::string& text, const char* key) const {
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || std::to_string(value) != text)
      throw Error(object() + ": an IntegerLookup's " + key + " holds int64 integers, found '" + text + "'");
  }

  void read_salt() {
    const Json* salt = reader().find("salt");
    if (!salt || salt->is_null()) return;
    auto half = [&](const Json& v) {
      if (!v.is_number_integer()) throw Error(object() + ": salt must be an integer or two integers, found " + salt->dump());
      return static_cast<std::uint64_t>(v.get<std::int64_t>());
    };
    if (salt->is_array() && salt->size() == 2) salt_ = std::array{half((*salt)[0]), half((*salt)[1])};
    else if (salt->is_array()) throw Error(object() + ": salt must be an integer or two integers, found " + salt->dump());
    else salt_ = std::array{half(*salt), half(*salt)};
  }

  void read_vocabulary() {
    bool from_file = false;
    const Json* given = reader().find("vocabulary");
    auto tokens = vocabulary_tokens(given ? *given : Json(nullptr), from_file, object());
    const Json* idf = reader().find("idf_weights");
    const bool has_idf = idf && !idf->is_null();
    if (has_idf && mode_ != "tf_idf") throw Error(object() + ": idf_weights are only for output_mode 'tf_idf', found '" + mode_ + "'");
    if (!tokens) return;
    VocabularyRules rules{special_tokens(), mask_, invert_ ? std::optional(oov_token_) : std::nullopt, max_tokens_};
    if (integers_)
      for (const std::string& t : *tokens) require_integer(t, "vocabulary");
    const std::size_t given_size = tokens->size();
    vocabulary_ = Vocabulary(std::move(*tokens), rules, !from_file, object());
    if (!has_idf) return;
    // Keras's set_vocabulary: idf_weights as long as the given list; without the special tokens
    // in the list, their weights are the mean of the given ones; pad_to_max_tokens pads zeros.
    std::vector<float> weights;
    for (const Json& w : *idf) {
      if (!w.is_number()) throw Error(object() + ": idf_weights must be numbers, found " + idf->dump());
      weights.push_back(w.get<float>());
    }
    if (weights.size() != given_size)
      throw Error(object() + ": idf_weights has " + std::to_string(weights.size()) + " values for a vocabulary of " +
                  std::to_string(given_size));
    if (!vocabulary_->had_special_tokens()) {
      double sum = 0;
      for (float w : weights) sum += w;
      weights.insert(weights.begin(), static_cast<std::size_t>(token_start()), static_cast<float>(sum / static_cast<double>(weights.size())));
    }
    weights.resize(static_cast<std::size_t>(depth()), 0.0f);
    initial_idf_ = std::move(weights);
  }

  // Each value's index, as an int64 tensor of the input's shape; the encodings' dropped mask is -1.
  Tensor lookup(const Tensor& x) const {
    const bool strings = x.dtype() == DType::String;
    if (strings == integers_ || (!strings && !is_integer(x.dtype())))
      throw Error(object() + ": looks up " + (integers_ ? "integers" : "strings") + ", found " + std::string(dtype_name(x.dtype())) +
                  " inputs");
    const std::vector<std::int64_t> ints = strings ? std::vector<std::int64_t>{} : x.to_vector<std::int64_t>();
    Tensor out(DType::Int64, x.shape());
    auto* id = out.data<std::int64_t>();
    std::vector<std::string> unknown;
    for (std::int64_t i = 0; i < x.size(); ++i) {
      const auto n = static_cast<std::size_t>(i);
      const std::string text = strings ? x.string_values()[n] : std::to_string(ints[n]);
      if (mask_ && text == *mask_) {
        id[i] = mode_ == "int" ? 0 : -1;
      } else if (auto position = vocabulary_->find(text)) {
        id[i] = token_start() + *position;
      } else if (num_oov_ == 0) {
        unknown.push_back(text);
      } else {
        id[i] = oov_start() + (num_oov_ == 1 ? 0 : oov_bucket(text, strings ? 0 : ints[n], strings));
      }
    }
    if (!unknown.empty()) {
      std::string values;
      for (std::size_t k = 0; k < unknown.size() && k < 5; ++k) values += (k ? ", '" : "'") + unknown[k] + "'";
      throw Error(object() + ": with num_oov_indices 0 every input must be in the vocabulary; found " + std::to_string(unknown.size()) +
                  " that are not (" + values + (unknown.size() > 5 ? ", ..." : "") + ")");
    }
    return out;
  }

  std::int64_t oov_bucket(const std::string& text, std::int64_t value, bool strings) const {
    if (!strings && !farmhash_integers_) {
      const std::int64_t r = value % num_oov_;  // tf.math.floormod: the remainder takes the divisor's sign
      return r < 0 ? r + num_oov_ : r;
    }
    const std::uint64_t hash = salt_ ? siphash24(*salt_, text) : fingerprint64(text);
    return static_cast<std::int64_t>(hash % static_cast<std::uint64_t>(num_oov_));
  }

  Tensor invert(const Tensor& x) const {
    if (!is_integer(x.dtype())) throw Error(object() + ": invert looks up integer indices, found " + std::string(dtype_name(x.dtype())) + " inputs");
    const std::vector<std::int64_t> ids = x.to_vector<std::int64_t>();
    const auto& tokens = vocabulary_->tokens();
    std::vector<std::string> text(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const std::int64_t position = ids[i] - token_start();
      if (mask_ && ids[i] == 0) text[i] = *mask_;
      else if (position >= 0 && position < static_cast<std::int64_t>(tokens.size())) text[i] = tokens[static_cast<std::size_t>(position)];
      else text[i] = oov_token_;
    }
    if (!integers_) return Tensor::strings(text, x.shape());
    std::vector<std::int64_t> values(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) values[i] = std::stoll(text[i]);
    const Tensor out = Tensor::from_vector(values, x.shape());
    return vocabulary_dtype_ == DType::Int64 ? out : out.cast(vocabulary_dtype_);
  }

  bool integers_;
  bool invert_ = false;
  std::string mode_;
  std::int64_t num_oov_ = 1;
  std::optional<std::int64_t> max_tokens_;
  bool pad_ = false;
  std::optional<std::string> mask_;
  std::string oov_token_;
  DType vocabulary_dtype_ = DType::Int64;
  bool farmhash_integers_ = false;
  std::optional<std::array<std::uint64_t, 2>> salt_;
  std::optional<Vocabulary> vocabulary_;
  std::vector<float> initial_idf_;
  VariablePtr idf_;
};

class StringLookup : public IndexLookup {
 public:
  explicit StringLookup(const Json& config) : IndexLookup(config, "StringLookup", false) {}
};

class IntegerLookup : public IndexLookup {
 public:
  explicit IntegerLookup(const Json& config) : IndexLookup(config, "IntegerLookup", true) {}
};

}  // namespace

LayerPtr make_string_lookup(const Json& config) { return std::make_shared<StringLookup>(config); }

void register_lookups(PluginRegistrar& r) {
  r.layer<StringLookup>("StringLookup");
  r.layer<IntegerLookup>("IntegerLookup");
}

}  // namespace ksave::plugins::preprocessing
