// Reading and writing `model.weights.h5`, the HDF5 file inside a Keras 3 archive, for the
// owners variable_layout.hpp lists.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hdf5_handle.hpp"
#include "ksave/format.hpp"
#include "variable_layout.hpp"

namespace ksave::plugins::keras_zip {

// Writes each owner's `vars` group (with its `name` attribute, as Keras >= 3.3 writes it) and
// one dataset per variable, "0", "1", ...
void write_owners(h5::Group& root, const std::vector<VariableOwner>& owners);

// Assigns every owner's variables from the file, all or nothing: every `vars` group must hold
// exactly as many datasets as the owner has variables, with the same shapes; otherwise throws
// naming the file, the group, what was expected and what was found (every object that does
// not fit, in one error). An owner without variables may have no group.
void read_owners(const h5::Group& root, const std::vector<VariableOwner>& owners);

// load_weights from an archive (Keras 3's model.load_weights of a .keras file): as
// read_owners, except that with `skip_mismatch` an owner whose stored variables do not fit
// keeps its values and is reported (warning and unmatched_in_model); vars groups of the file
// that no owner took, the optimizer's aside, are reported as unused_in_file.
LoadStatus read_owners_for_load_weights(const h5::Group& root, const std::vector<VariableOwner>& owners, bool skip_mismatch);

// Like read_owners for one owner, returning why it does not fit instead of throwing (the
// optimizer state is optional: Keras skips it with a warning). nullopt when assigned.
std::optional<std::string> try_read_owner(const h5::Group& root, const VariableOwner& owner);

}  // namespace ksave::plugins::keras_zip
