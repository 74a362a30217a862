// The base of the preprocessing layers: a layer whose own config keys (everything but the base
// keys Layer writes) come back from get_config exactly as read, in either dialect (tf-keras 2.x
// and Keras 3 spell some keys differently; neither is lost), and whose output has the batch
// dimension of its input.
#pragma once

#include <string>

#include "ksave/config.hpp"
#include "ksave/plugin.hpp"

namespace ksave::plugins::preprocessing {

class PreprocessingLayer : public Layer {
 public:
  PreprocessingLayer(const Json& config, const char* class_name);
  std::string class_name() const override { return class_name_; }
  Json get_config() const override;

 protected:
  const ConfigReader& reader() const { return reader_; }
  // "layer 'resizing' (Resizing)", for errors.
  std::string object() const { return "layer '" + name() + "' (" + class_name_ + ")"; }

 private:
  std::string class_name_;
  Json own_config_;
  ConfigReader reader_;
};

// A Random* layer called in training: Keras draws its transformation from TensorFlow's random
// streams, which ksave cannot reproduce, so the call is refused by name rather than silently
// left unaugmented.
[[noreturn]] void refuse_augmentation_in_training(const std::string& object);

void register_augmentation(PluginRegistrar& r);
void register_image_layers(PluginRegistrar& r);
void register_auto_contrast(PluginRegistrar& r);
void register_clahe(PluginRegistrar& r);
void register_max_num_bounding_boxes(PluginRegistrar& r);
void register_encoding_layers(PluginRegistrar& r);
void register_hashing(PluginRegistrar& r);
void register_lookups(PluginRegistrar& r);
void register_text_vectorization(PluginRegistrar& r);
void register_hashed_crossing(PluginRegistrar& r);
void register_dense_features(PluginRegistrar& r);

}  // namespace ksave::plugins::preprocessing
