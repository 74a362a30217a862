// A check, before libhdf5 reads them, of the global-heap references of variable-length strings.
//
// libhdf5 1.10.8 follows such a reference (collection address, object index) without checking
// it: H5HG_read indexes the collection's object table with the stored index and copies the
// object's stored size into a buffer sized by the string's stored length, and the collection's
// parser loops forever on an object of size 0. A flipped bit in a damaged file is then a
// segmentation fault or a hang inside libhdf5 (HDFGroup/hdf5 CVE-2020-10811 and kin, fixed in
// later releases). This check reads the references and the collections from the file's bytes,
// walks each collection as libhdf5 would, and refuses any reference that libhdf5 could not
// follow safely, with an error naming the attribute.
#pragma once

#include <hdf5.h>

#include <string>

#include "hdf5_handle.hpp"

namespace ksave::plugins::h5 {

// Checks every element of the variable-length string attribute `attribute` of `node`, which
// holds `count` elements; throws through node.fail when one is unsafe to read.
void check_string_heap_references(const Node& node, hid_t attribute, std::size_t count, const std::string& name);

}  // namespace ksave::plugins::h5
