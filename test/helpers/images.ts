// Container images built here by umoci (OCI) and skopeo (docker-archive)
// from the arm64 and s390x Debian fixtures: a base layer, a layer with a
// whiteout (usr/bin/hello), a layer with an opaque directory (opt/tool), a
// config, and a multi-platform index the way buildx writes one. Shared by
// test/roots.test.ts (prepareRoot) and test/images.test.ts (xarch shell).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fixtureRoot, needCommand, needFixture } from './env.js';

/** Run a POSIX sh script with -e; throws with its stderr when it fails. */
export function sh(script: string, ...args: string[]): string {
  const r = spawnSync('sh', ['-ec', script, 'sh', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${script}\n${r.stderr}`);
  return r.stdout;
}

/** A skip reason when the images cannot be built here, or false. */
export function imageSkip(): string | false {
  return needFixture('arm64') || needFixture('s390x') || needCommand('umoci', 'umoci') || needCommand('skopeo', 'skopeo') || needCommand('zstd', 'zstd');
}

export interface Images {
  /** Where they were built: oci/ (every tag), single/, docker.tar, oci.tar, oci.tar.zst. */
  dir: string;
  /** An OCI layout directory holding only the arm64 image. */
  layout: string;
  docker: string;
  ociTar: string;
  ociZst: string;
  /** A layout whose index.json points at an image index (arm64, s390x, an attestation). */
  multi: string;
  /** One index entry per tag of dir/oci. */
  manifests: Record<string, unknown>;
}

const built = new Map<string, Images>();

/** Build the images under `work` (once per directory). */
export function buildImages(work: string): Images {
  const known = built.get(work);
  if (known) return known;
  const d = path.join(work, 'img');
  mkdirSync(d);
  sh(`cd "$1"
umoci init --layout oci
umoci new --image oci:arm64
umoci unpack --image oci:arm64 b1 >/dev/null
cp -a "$2/." b1/rootfs/
mkdir -p b1/rootfs/opt/tool/sub && echo lower > b1/rootfs/opt/tool/old && echo lower > b1/rootfs/opt/tool/sub/deep
umoci repack --image oci:arm64 b1 && rm -rf b1
umoci config --image oci:arm64 --architecture arm64 --os linux --config.env PATH=/bin:/usr/bin --config.env GREETING=hi --config.workingdir /opt/tool --config.user 1000:1000 --config.entrypoint /bin/busybox --config.cmd echo --config.cmd from-the-image
umoci unpack --image oci:arm64 b2 >/dev/null
rm b2/rootfs/usr/bin/hello
umoci repack --image oci:arm64 b2 && rm -rf b2
mkdir -p l3/opt/tool && echo upper > l3/opt/tool/new && touch l3/opt/tool/.wh..wh..opq
tar -C l3 -cf l3.tar opt && umoci raw add-layer --image oci:arm64 l3.tar
umoci new --image oci:s390x
umoci unpack --image oci:s390x b3 >/dev/null
mkdir -p b3/rootfs/bin && cp "$3/bin/busybox" b3/rootfs/bin/
umoci repack --image oci:s390x b3 && rm -rf b3
umoci config --image oci:s390x --architecture s390x --os linux --config.cmd /bin/busybox --config.cmd uname
skopeo copy -q --insecure-policy oci:oci:arm64 docker-archive:"$1/docker.tar":demo:arm64
cp -a oci single
`, d, fixtureRoot('arm64')!, fixtureRoot('s390x')!);
  // A single-image layout (the arm64 one), as directory, tar and tar.zst.
  const single = path.join(d, 'single');
  const idx = JSON.parse(readFileSync(path.join(d, 'oci/index.json'), 'utf8'));
  const tagged = (tag: string) => idx.manifests.find((m: any) => m.annotations['org.opencontainers.image.ref.name'] === tag);
  const arm = tagged('arm64');
  const s390 = tagged('s390x');
  writeFileSync(path.join(single, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [arm] }));
  sh('tar -C "$1/single" -cf "$1/oci.tar" . && zstd -q "$1/oci.tar" -o "$1/oci.tar.zst"', d);
  // A multi-platform layout the way buildx writes one: index.json → an image index blob → manifests with platforms.
  const multi = path.join(d, 'oci');
  const nested = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [
    { ...arm, annotations: undefined, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    { ...s390, annotations: undefined, platform: { os: 'linux', architecture: 's390x' } },
    { ...arm, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' }, platform: { os: 'unknown', architecture: 'unknown' } },
  ] }));
  const hex = createHash('sha256').update(nested).digest('hex');
  writeFileSync(path.join(multi, 'blobs/sha256', hex), nested);
  writeFileSync(path.join(multi, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha256:${hex}`, size: nested.length, annotations: { 'org.opencontainers.image.ref.name': 'demo' } }] }));
  // Readable by the unprivileged test user whatever this process's umask.
  sh('chmod -R a+rX "$1"', d);
  const images: Images = {
    dir: d, layout: single, docker: path.join(d, 'docker.tar'), ociTar: path.join(d, 'oci.tar'), ociZst: path.join(d, 'oci.tar.zst'), multi,
    manifests: Object.fromEntries(idx.manifests.map((m: any) => [m.annotations['org.opencontainers.image.ref.name'], m])),
  };
  built.set(work, images);
  return images;
}
