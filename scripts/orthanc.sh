#!/usr/bin/env bash
# Install Orthanc (the PACS the gateway tests and bench/imaging.py run against) and its
# DICOMweb plugin from Debian's packages, if missing. Needs root for apt-get; without root it
# prints the command to run and exits 0, so the tests that need Orthanc skip with that reason.
# The tests and the benchmark start and stop their own private Orthanc on 127.0.0.1
# (tests/imaging_source/orthanc.py); this script never starts the system service.
set -euo pipefail

wanted=()
command -v Orthanc >/dev/null || [ -x /usr/sbin/Orthanc ] || wanted+=(orthanc)
[ -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || wanted+=(orthanc-dicomweb)
[ "${#wanted[@]}" = 0 ] && exit 0

if [ "$(id -u)" != "0" ]; then
  echo "orthanc: missing; run: sudo apt-get install ${wanted[*]} (PACS gateway tests are skipped)" >&2
  exit 0
fi
echo "orthanc: installing ${wanted[*]} from Debian's packages" >&2
# The package's post-install tries to start the system service; nothing should listen
# on 4242/8042 behind our back, so service starts are refused while installing.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f "$policy"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null 2>&1 \
  || { apt-get update -qq; apt-get install -y -qq --no-install-recommends "${wanted[@]}" >/dev/null; }
