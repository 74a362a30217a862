// The fingerprint of SDK headers other than this build's: the sdk_other_headers plugin finds
// this file before the build's generated one, as a plugin built against another ksave's
// installed headers would.
#pragma once

#define KSAVE_SDK_HEADER_FINGERPRINT "0123456789abcdef"
