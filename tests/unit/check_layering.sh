#!/usr/bin/env bash
# DESIGN.md §2: nsenter -> base; streaming -> base; cli -> {base, streaming, proto}.
# Fails naming every #include that crosses the line (shim/base is the shared base).
set -u
root=${1:?usage: check_layering.sh REPO}
bad=0
check() {  # check DIR REGEX-OF-FORBIDDEN-INCLUDES
  local hits
  hits=$(grep -rnE "^#include \"($2)" "$root/$1" --include='*.h' --include='*.cc' --include='*.c' 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "$1/ must not include $2:"
    echo "$hits"
    bad=1
  fi
}
check nsenter 'shim/(cri|server|exec|image|oci|runtime|monitor|config|daemon)|streaming/|cli/|proto/'
check streaming 'shim/(cri|server|exec|image|oci|runtime|monitor|config|daemon)|nsenter/|cli/|proto/'
check cli 'shim/(cri|server|exec|image|oci|runtime|monitor|config|daemon)|nsenter/'
check shim/base 'shim/(cri|server|exec|image|oci|runtime|monitor|config|daemon)|nsenter/|streaming/|cli/|proto/'
[ $bad -eq 0 ] && echo "layering ok"
exit $bad
