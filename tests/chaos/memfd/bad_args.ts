/**
 * Hostile-argument steps: wrong types, unrepresentable numbers and bogus
 * options for create and for every method of a live memfd. Each must be
 * refused with the right error class and change nothing.
 * @module
 */

import { Memfd } from "../../../mod.ts";
import { fails } from "../expect.ts";
import { fmt, q } from "../format.ts";
import {
  BAD_BUFFERS,
  BAD_NUMBERS,
  BAD_OPTIONS,
  BAD_SEALS,
} from "../hostile.ts";
import { verifyFile } from "./verify.ts";
import type { MemfdWorld } from "./world.ts";

export function opCreateBad(w: MemfdWorld): void {
  const r = w.rng;
  const [value, error] = r.pick(BAD_NUMBERS);
  switch (r.int(6)) {
    case 0:
      w.call(
        `Memfd.create("bad", {size: ${fmt(value)}})`,
        fails(error),
        () => Memfd.create("bad", { size: value as number }),
      );
      break;
    case 1: {
      const name = r.pick<unknown>([42, null, undefined, {}, ["a"], 5n]);
      w.call(
        `Memfd.create(${fmt(name)})`,
        fails("TypeError"),
        () => Memfd.create(name as string),
      );
      break;
    }
    case 2:
      w.call(
        `Memfd.create("a\\0b")`,
        fails("TypeError"),
        () => Memfd.create("a\0b"),
      );
      break;
    case 3: {
      const options = r.pick(BAD_OPTIONS);
      w.call(
        `Memfd.create("bad", ${fmt(options)})`,
        fails("TypeError"),
        () => Memfd.create("bad", options as object),
      );
      break;
    }
    case 4: {
      const key = r.pick([
        "cloexec",
        "allowSealing",
        "executable",
        "hugetlb",
      ]);
      const bad = r.pick<unknown>([1, "yes", null, "3MB", "2mb", "toString"]);
      w.call(
        `Memfd.create("bad", {${key}: ${fmt(bad)}})`,
        fails("TypeError"),
        () => Memfd.create("bad", { [key]: bad }),
      );
      break;
    }
    default:
      w.call(
        `Memfd.create(250 bytes)`,
        fails("EINVAL"),
        () => Memfd.create("é".repeat(125)),
      );
  }
}

export async function opBadArgs(w: MemfdWorld): Promise<void> {
  const r = w.rng;
  const h = w.pickHandle();
  if (h === undefined) return opCreateBad(w);
  const m = h.memfd;
  const [value, error] = r.pick(BAD_NUMBERS);
  const bad = r.pick(BAD_BUFFERS);
  const what = `${q(h.file.name)}`;
  switch (r.int(14)) {
    case 0:
      w.call(
        `${what}.resize(${fmt(value)})`,
        fails(error),
        () => m.resize(value as number),
      );
      break;
    case 1:
      w.call(
        `${what}.write(${fmt(bad)})`,
        fails("TypeError"),
        () => m.write(bad as Uint8Array),
      );
      break;
    case 2:
      w.call(
        `${what}.write(bytes, ${fmt(value)})`,
        fails(error),
        () => m.write(new Uint8Array(3), value as number),
      );
      break;
    case 3:
      w.call(
        `${what}.read(${fmt(bad)})`,
        fails("TypeError"),
        () => m.read(bad as Uint8Array),
      );
      break;
    case 4:
      w.call(
        `${what}.read(bytes, ${fmt(value)})`,
        fails(error),
        () => m.read(new Uint8Array(3), value as number),
      );
      break;
    case 5:
      await w.callAsync(
        `${what}.writeAsync(${fmt(bad)})`,
        fails("TypeError"),
        () => m.writeAsync(bad as Uint8Array),
      );
      break;
    case 6:
      await w.callAsync(
        `${what}.readAsync(bytes, ${fmt(value)})`,
        fails(error),
        () => m.readAsync(new Uint8Array(3), value as number),
      );
      break;
    case 7: {
      const seal = r.pick(BAD_SEALS);
      const seals = r.chance(0.5) ? [seal] : ["shrink", seal];
      w.call(
        `${what}.seal(${fmt(seals)})`,
        fails("TypeError"),
        () => m.seal(...(seals as ["seal"])),
      );
      w.call(
        `${what}.requireSeals(${fmt(seals)})`,
        fails("TypeError"),
        () => m.requireSeals(...(seals as ["seal"])),
      );
      break;
    }
    case 8: {
      const key = r.pick(["offset", "length"]);
      w.call(
        `${what}.map({${key}: ${fmt(value)}})`,
        fails(error),
        () => m.map({ [key]: value }),
      );
      break;
    }
    case 9: {
      const access = r.pick<unknown>([
        "Shared",
        "readonly",
        1,
        null,
        "toString",
      ]);
      w.call(
        `${what}.map({access: ${fmt(access)}})`,
        fails("TypeError"),
        () => m.map({ access: access as "shared" }),
      );
      break;
    }
    case 10: {
      const options = r.pick(BAD_OPTIONS);
      w.call(
        `${what}.map(${fmt(options)})`,
        fails("TypeError"),
        () => m.map(options as object),
      );
      break;
    }
    case 11: {
      const key = r.pick(["offset", "length"]);
      w.call(
        `${what}.mapRing({${key}: ${fmt(value)}})`,
        fails(error),
        () => m.mapRing({ [key]: value }),
      );
      break;
    }
    case 12:
      w.call(
        `${what}.map({populate: "yes"})`,
        fails("TypeError"),
        () => m.map({ populate: "yes" as unknown as boolean }),
      );
      break;
    default: {
      const options = r.pick(BAD_OPTIONS);
      w.call(
        `${what}.mapRing(${fmt(options)})`,
        fails("TypeError"),
        () => m.mapRing(options as object),
      );
    }
  }
  verifyFile(w, h.file, "after a refused call");
}
