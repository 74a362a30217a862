// A check, before libhdf5 decodes them, of the attribute messages in an object's header.
//
// libhdf5 1.10.8 decodes an attribute message trusting the sizes inside it: the name is copied
// with strdup (reading on past the message when a damaged name has no terminating NUL), and the
// datatype, dataspace and value are read at the offsets and lengths the message declares, past
// its end when one is damaged (HDFGroup/hdf5 #1368, #2529; fixed in 1.14). A decode that fails
// half way then frees a half-built attribute: a segmentation fault in H5A__close. Every attribute
// call (H5Aexists, H5Aopen, H5Aiterate) decodes every attribute message of the header, so one
// damaged attribute anywhere in a group takes the process down when any of its attributes is
// looked up. fuzz_hdf5_image and fuzz_h5_model found all three.
//
// This check reads the object's header from the file's bytes (version 1 and 2 headers and their
// continuation chunks, as H5O__cache_deserialize walks them) and refuses, naming the object, any
// attribute message that libhdf5 could not decode within its bounds (as H5O__attr_decode reads
// it). Attributes in dense storage (a fractal heap, which h5py and Keras do not write for their
// small attributes) and shared messages are left to libhdf5.
#pragma once

#include "hdf5_handle.hpp"

namespace ksave::plugins::h5 {

// Throws through node.fail when an attribute message of the node's header is damaged; does
// nothing for a file ksave is writing (no stored bytes to check).
void check_attribute_messages(const Node& node);

}  // namespace ksave::plugins::h5
