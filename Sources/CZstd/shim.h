// libzstd (Debian's libzstd-dev): Codex signed in with ChatGPT sends its request bodies zstd-compressed.
#include <zstd.h>
