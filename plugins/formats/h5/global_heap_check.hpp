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

#include <optional>
#include <string>
#include <vector>

#include "hdf5_handle.hpp"

namespace ksave::plugins::h5 {

// Reads the `count` strings of the variable-length string attribute `attribute` of `node` from
// the file's bytes, after checking every reference as above; throws through node.fail when one
// is unsafe. libhdf5 is not asked to convert them at all: its conversion also trusts the
// string's stored base type, whose damaged size (a flipped byte) made it allocate and clear
// gigabytes per character. nullopt for a file ksave is writing (no bytes to check against).
std::optional<std::vector<std::string>> read_checked_strings(const Node& node, hid_t attribute, std::size_t count,
                                                             const std::string& name);

}  // namespace ksave::plugins::h5
