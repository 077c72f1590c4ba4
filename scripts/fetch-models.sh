#!/usr/bin/env bash
# Fetches the public model packages the project uses into the model cache
# (default ./cache, or $LINEARGAN_CACHE) and unpacks their weight files.
# Idempotent: files already present and verified are kept.
set -euo pipefail
cache="${LINEARGAN_CACHE:-$(cd "$(dirname "$0")/.." && pwd)/cache}"
mkdir -p "$cache/pip" "$cache/models"

# DCGAN face generator (PyPI gan-face-generate 1.1.1, weights.tar).
wheel_sha=24102f4be41d164e44251168ede0458a45e498a888c81493e2aea48529640569
wheel="$cache/pip/gan_face_generate-1.1.1-py3-none-any.whl"
if [ ! -f "$wheel" ] || ! echo "$wheel_sha  $wheel" | sha256sum -c --quiet - 2>/dev/null; then
    python3 -m pip download --quiet gan-face-generate==1.1.1 --no-deps -d "$cache/pip"
fi
echo "$wheel_sha  $wheel" | sha256sum -c --quiet -
if [ ! -f "$cache/models/dcgan_face64.tar" ]; then
    python3 - "$wheel" "$cache/models/dcgan_face64.tar" <<'PY'
import sys, zipfile, shutil
with zipfile.ZipFile(sys.argv[1]) as z, z.open("gan_face_generate/weights.tar") as src, open(sys.argv[2] + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
import os; os.replace(sys.argv[2] + ".part", sys.argv[2])
PY
fi
# dlib's 68-point face landmark model (PyPI face_recognition_models 0.3.0,
# CC0; an sdist of about 100 MB): the landmark face parser of dcgan_face64.
sdist_sha=b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf
sdist="$cache/pip/face_recognition_models-0.3.0.tar.gz"
dat="$cache/models/shape_predictor_68_face_landmarks.dat"
dat_sha=fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f
if [ ! -f "$dat" ] || ! echo "$dat_sha  $dat" | sha256sum -c --quiet - 2>/dev/null; then
    if [ ! -f "$sdist" ] || ! echo "$sdist_sha  $sdist" | sha256sum -c --quiet - 2>/dev/null; then
        python3 -m pip download --quiet face_recognition_models==0.3.0 --no-deps --no-binary :all: -d "$cache/pip"
    fi
    echo "$sdist_sha  $sdist" | sha256sum -c --quiet -
    tar -xzOf "$sdist" face_recognition_models-0.3.0/face_recognition_models/models/shape_predictor_68_face_landmarks.dat > "$dat.part"
    mv "$dat.part" "$dat"
fi
echo "$dat_sha  $dat" | sha256sum -c --quiet -

echo "model cache: $cache"
ls -l "$cache/models"
