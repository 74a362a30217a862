// The name Keras 3 exports a class under, where it differs from the Python class's (which ksave's
// class_name() is, as tf-keras's configs and Keras 3's legacy .h5 write it, and which names a
// container's entries in an archive): keras.layers.GroupQueryAttention is the class
// GroupedQueryAttention, written "GroupQueryAttention" into config.json (measured on Keras 3.15).
// Reading resolves either name (the registration's alias).
#pragma once

#include <map>
#include <string>

namespace ksave::plugins::keras_zip {

inline std::string keras3_exported_name(const std::string& class_name) {
  static const std::map<std::string, std::string> exported = {{"GroupedQueryAttention", "GroupQueryAttention"}};
  const auto found = exported.find(class_name);
  return found == exported.end() ? class_name : found->second;
}

}  // namespace ksave::plugins::keras_zip
