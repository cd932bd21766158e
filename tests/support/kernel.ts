/**
 * What the running kernel supports, probed once through the public API with
 * real syscalls on scratch memfds: never read from the version string, which
 * distributions backport past and `tools/kernel_shim` emulates under a newer
 * kernel. Tests and the chaos model assert the kernel's behaviour for what
 * it has, and the typed `EINVAL` for what it lacks.
 * @module
 */

import { type HugePageSize, Memfd, MemfdError, type Seal } from "../../mod.ts";

/** Features of `memfd_create` and sealing that came with later kernels. */
export interface KernelFeatures {
  /** `MFD_NOEXEC_SEAL` / `MFD_EXEC` (Linux 6.3+): `executable` means something. */
  readonly noexecSeal: boolean;
  /** The `"exec"` seal, `F_SEAL_EXEC` (Linux 6.3+). */
  readonly execSeal: boolean;
  /** The `"future-write"` seal, `F_SEAL_FUTURE_WRITE` (Linux 5.1+). */
  readonly futureWrite: boolean;
  /** `MFD_HUGETLB` (Linux 4.14+). */
  readonly hugetlb: boolean;
  /** The huge page sizes the kernel has a pool for (empty without hugetlb). */
  readonly hugePageSizes: ReadonlySet<HugePageSize>;
}

const ALL_SIZES: readonly HugePageSize[] = [
  "64KB",
  "512KB",
  "1MB",
  "2MB",
  "8MB",
  "16MB",
  "32MB",
  "256MB",
  "512MB",
  "1GB",
  "2GB",
  "16GB",
];

/** `true` when `create` succeeds, `false` on `MemfdError` `code`. */
function creates(code: string, create: () => Memfd): boolean {
  try {
    create().close();
    return true;
  } catch (error) {
    if (error instanceof MemfdError && error.code === code) return false;
    throw error;
  }
}

/** Whether the kernel accepts `seal` on a fresh sealable memfd. */
function sealWorks(seal: Seal): boolean {
  using fd = Memfd.create("probe-seal");
  try {
    fd.seal(seal);
    return true;
  } catch (error) {
    if (error instanceof MemfdError && error.code === "EINVAL") return false;
    throw error;
  }
}

/** `MFD_HUGETLB` is known unless it is `EINVAL` (no default pool: ENODEV). */
function hugetlbKnown(): boolean {
  try {
    Memfd.create("probe-huge", { hugetlb: true }).close();
    return true;
  } catch (error) {
    if (!(error instanceof MemfdError)) throw error;
    return error.code !== "EINVAL";
  }
}

function probe(): KernelFeatures {
  // The default create asks for MFD_NOEXEC_SEAL; a kernel that knows it
  // hands back a memfd already carrying the exec seal.
  const noexecSeal = (() => {
    using fd = Memfd.create("probe-noexec");
    return fd.seals.has("exec");
  })();
  const hugetlb = hugetlbKnown();
  const hugePageSizes = new Set<HugePageSize>(
    hugetlb
      ? ALL_SIZES.filter((size) =>
        creates("ENODEV", () => Memfd.create("probe-huge", { hugetlb: size }))
      )
      : [],
  );
  return {
    noexecSeal,
    execSeal: sealWorks("exec"),
    futureWrite: sealWorks("future-write"),
    hugetlb,
    hugePageSizes,
  };
}

/** This kernel's features, probed when first imported. */
export const kernel: KernelFeatures = probe();

/** The seals every default (non-executable) memfd starts with here. */
export const birthSeals: readonly Seal[] = kernel.noexecSeal ? ["exec"] : [];
