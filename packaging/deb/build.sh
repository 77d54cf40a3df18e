#!/usr/bin/env bash
# Builds belfry_<version>_<arch>.deb with dpkg-deb from a built binary and the checked-in man
# pages, completions and the files beside this script. No cargo-deb: dpkg-deb is on every Debian.
#
# Usage: packaging/deb/build.sh [--binary PATH] [--out DIR]
#   --binary PATH  the belfry binary to package (default: builds target/release/belfry with
#                  `cargo build --release --locked -p belfry-cli`)
#   --out DIR      where the .deb goes (default: target/deb); the path is printed on stdout
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary=""
out="$root/target/deb"
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done
if [ -z "$binary" ]; then
    (cd "$root" && cargo build --release --locked -p belfry-cli >&2)
    binary="$root/target/release/belfry"
fi
[ -x "$binary" ] || { echo "build.sh: not an executable: $binary" >&2; exit 2; }

# The workspace's version (commands/ inherits it with version.workspace = true).
version="$(awk '/^\[workspace.package\]/ { inside = 1; next } /^\[/ { inside = 0 }
    inside && /^version *=/ { gsub(/.*= *"|".*/, ""); print; exit }' "$root/Cargo.toml")"
[ -n "$version" ] || { echo "build.sh: no [workspace.package] version in Cargo.toml" >&2; exit 2; }
arch="$(dpkg --print-architecture)"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/belfry"
install -D -m 0755 "$binary" "$pkg/usr/bin/belfry"
strip --strip-unneeded "$pkg/usr/bin/belfry" 2>/dev/null || true
for page in "$root"/man/*.1; do
    install -D -m 0644 "$page" "$pkg/usr/share/man/man1/$(basename "$page")"
    gzip -9n "$pkg/usr/share/man/man1/$(basename "$page")"
done
install -D -m 0644 "$root/completions/belfry.bash" "$pkg/usr/share/bash-completion/completions/belfry"
install -D -m 0644 "$root/completions/_belfry" "$pkg/usr/share/zsh/vendor-completions/_belfry"
install -D -m 0644 "$root/completions/belfry.fish" "$pkg/usr/share/fish/vendor_completions.d/belfry.fish"
install -D -m 0644 "$here/belfry.service" "$pkg/lib/systemd/system/belfry.service"
install -D -m 0640 "$here/belfry.yml" "$pkg/etc/belfry/belfry.yml"
install -D -m 0640 "$here/default" "$pkg/etc/default/belfry"
install -D -m 0644 "$root/docs/install.md" "$pkg/usr/share/doc/belfry/README.Debian"
install -d "$pkg/DEBIAN"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$pkg/DEBIAN/"
printf '/etc/belfry/belfry.yml\n/etc/default/belfry\n' > "$pkg/DEBIAN/conffiles"
size="$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)"
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: belfry
Version: $version
Architecture: $arch
Maintainer: Belfry maintainers <belfry@localhost>
Installed-Size: $size
Depends: adduser, libc6
Section: admin
Priority: optional
Homepage: https://github.com/belfry/belfry
Description: Dkron-compatible distributed cron scheduler
 Belfry runs cron jobs across a cluster: servers agree on the schedule with Raft,
 agents run the jobs. This package installs the belfry binary, its man pages and
 shell completions, and a hardened systemd service (belfry.service).
CONTROL
mkdir -p "$out"
deb="$out/belfry_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >&2
echo "$deb"
