// TextVectorization's built-in text steps, as Keras runs them with TensorFlow's string ops:
//   lower               tf.strings.lower without an encoding: ASCII letters only ("É" stays)
//   strip_punctuation   tf.strings.regex_replace of Keras's DEFAULT_STRIP_REGEX, which is exactly
//                       the 32 ASCII punctuation characters (Python's string.punctuation)
//   split_whitespace    tf.strings.split(sep=None): runs of ASCII whitespace separate tokens
//                       (" \t\n\v\f\r"; U+00A0 and the like do not), no empty tokens
//   split_characters    tf.strings.unicode_split(UTF-8): one token per code point; an invalid
//                       byte becomes U+FFFD (errors="replace")
#pragma once

#include <string>
#include <vector>

namespace ksave::plugins::preprocessing {

std::string lower_ascii(std::string text);
std::string strip_punctuation(const std::string& text);
std::vector<std::string> split_whitespace(const std::string& text);
std::vector<std::string> split_characters(const std::string& text);

}  // namespace ksave::plugins::preprocessing
