#include "file_layout.hpp"

#include <string>

namespace ksave::plugins::h5 {

FileLayout layout_of(const Node& node) {
  Id file(H5Iget_file_id(node.id()), H5Fclose);
  Id creation(file.valid() ? H5Fget_create_plist(file.get()) : H5I_INVALID_HID, H5Pclose);
  FileLayout layout;
  hsize_t user_block = 0;
  if (!creation.valid() || H5Pget_sizes(creation.get(), &layout.address_size, &layout.length_size) < 0 ||
      H5Pget_userblock(creation.get(), &user_block) < 0)
    node.fail("cannot read the file's address and length sizes");
  if (layout.address_size < 2 || layout.address_size > 8 || layout.length_size < 2 || layout.length_size > 8)
    node.fail("the file declares " + std::to_string(layout.address_size) + "-byte addresses and " +
              std::to_string(layout.length_size) + "-byte lengths");
  layout.base = user_block;
  return layout;
}

}  // namespace ksave::plugins::h5
