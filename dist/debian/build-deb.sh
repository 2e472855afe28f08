#!/usr/bin/env bash
# Builds the Debian package of sluice: target/debian/sluice_<version>_<arch>.deb.
#
#   bash dist/debian/build-deb.sh            # from anywhere in the repository
#   bash dist/debian/build-deb.sh --from target/debug
#                                            # package binaries already built (stripped here)
#
# --from takes the executables and plugins from a build that exists, instead of building the
# release: CI packages the binaries its tests were built with, so that installing the package
# is tested without a second, release, build of everything.
#
# It needs cargo, dpkg-deb (Debian's dpkg) and objdump and strip (binutils), nothing else: the release binaries are built
# stripped (no line tables), then laid out as the package installs them:
#
#   /usr/bin/sluice -> /usr/lib/sluice/sluice   the command (sluice-host beside it)
#   /usr/lib/sluice/plugins/                    the three shipped plugins
#   /etc/sluice/sluice.toml, alerts/, credentials/   the config (conffiles)
#   /lib/systemd/system/sluice.service          the hardened unit, LoadCredential= for secrets
#   completions (bash, zsh, fish) and man pages, generated from the command line's definitions
#   /usr/share/doc/sluice/                      README, operating.md, first-ticket.md
#   /usr/share/sluice/windows/                  sluice-forward.cmd and its README, to copy
#                                               to the Netwrix Auditor server
#
# The package creates the `sluice` system user when it is installed. SLUICE_REVISION, if set,
# names the revision built (for a build outside a git checkout).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
out=$target/debian
stage=$out/stage
release=$target/release

if [ "${1:-}" = --from ]; then
    release=$(cd "${2:?--from needs the directory of a build, like target/debug}" && pwd)
    strip_staged=yes
else
    # Stripped: without line tables the two executables shrink from tens of megabytes to a
    # few.
    CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=symbols \
        cargo build --release --locked -p sluice -p sluice-source-netwrix-auditor \
        -p sluice-sink-servicenow -p sluice-sink-jsonl
    strip_staged=no
fi

version=$("$release/sluice-host" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
# The newest glibc symbol version the executables and plugins use is the oldest libc6 they run on.
libc=$(objdump -T "$release/sluice" "$release/sluice-host" "$release"/libsluice_*.so \
    | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)

rm -rf "$stage"
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/lib/sluice/plugins" \
    "$stage/etc/sluice/alerts" "$stage/lib/systemd/system" \
    "$stage/usr/share/doc/sluice" "$stage/usr/share/man/man1" \
    "$stage/usr/share/bash-completion/completions" "$stage/usr/share/zsh/vendor-completions" \
    "$stage/usr/share/fish/vendor_completions.d" "$stage/usr/share/sluice/windows"
install -d -m 0700 "$stage/etc/sluice/credentials"

install -m 0755 "$release/sluice" "$release/sluice-host" "$stage/usr/lib/sluice/"
ln -s ../lib/sluice/sluice "$stage/usr/bin/sluice"
for plugin in sluice_source_netwrix_auditor sluice_sink_servicenow sluice_sink_jsonl; do
    install -m 0644 "$release/lib$plugin.so" "$stage/usr/lib/sluice/plugins/"
done
if [ "$strip_staged" = yes ]; then
    strip --strip-all "$stage"/usr/lib/sluice/sluice "$stage"/usr/lib/sluice/sluice-host
    strip --strip-unneeded "$stage"/usr/lib/sluice/plugins/*.so
fi

install -m 0640 dist/debian/sluice.toml "$stage/etc/sluice/sluice.toml"
install -m 0644 alerts/*.toml "$stage/etc/sluice/alerts/"
# The unit as dist/systemd has it, pointing at the installed command.
sed 's|/opt/sluice/sluice|/usr/bin/sluice|g' dist/systemd/sluice.service \
    > "$stage/lib/systemd/system/sluice.service"
chmod 0644 "$stage/lib/systemd/system/sluice.service"

host=$stage/usr/lib/sluice/sluice-host
"$host" generate completions bash > "$stage/usr/share/bash-completion/completions/sluice"
"$host" generate completions zsh > "$stage/usr/share/zsh/vendor-completions/_sluice"
"$host" generate completions fish > "$stage/usr/share/fish/vendor_completions.d/sluice.fish"
"$host" generate man "$stage/usr/share/man/man1"
gzip -9n "$stage"/usr/share/man/man1/*.1

install -m 0644 README.md docs/operating.md docs/first-ticket.md "$stage/usr/share/doc/sluice/"
install -m 0644 dist/windows/sluice-forward.cmd dist/windows/README.md "$stage/usr/share/sluice/windows/"
sed -i 's|(dist/systemd/sluice.service)|(/lib/systemd/system/sluice.service)|' \
    "$stage/usr/share/doc/sluice/README.md"

(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) > "$stage/DEBIAN/conffiles"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@DEPENDS@/libc6 (>= $libc)/" \
    dist/debian/control > "$stage/DEBIAN/control"
echo "Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)" >> "$stage/DEBIAN/control"
install -m 0755 dist/debian/postinst dist/debian/postrm "$stage/DEBIAN/"

deb=$out/sluice_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
