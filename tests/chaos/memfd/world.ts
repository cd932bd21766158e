/**
 * The memfd suite's state: the `Memfd` and `Mapping` objects alive in the
 * run, each tied to its model, and what was closed or unmapped (kept to be
 * used again, wrongly).
 * @module
 */

import type { Mapping, Memfd } from "../../../mod.ts";
import { Runner } from "../runner.ts";
import type { FileModel, MappingModel } from "./model.ts";

/** Open `Memfd`s at most; more would be closed first. */
export const MAX_HANDLES = 10;
/** Live mappings at most; more would be unmapped first. */
export const MAX_MAPPINGS = 12;
/** Closed and unmapped objects kept for misuse. */
const KEEP_CLOSED = 16;
const KEEP_STALE_VIEWS = 32;

/** An open `Memfd` and the file it is a handle of. */
export interface Handle {
  id: number;
  memfd: Memfd;
  file: FileModel;
  writable: boolean;
  fd: number;
}

/** A live `Mapping` and its model. */
export interface Live {
  model: MappingModel;
  mapping: Mapping;
  /** Views taken while mapped: they must all detach on unmap. */
  views: Uint8Array[];
}

/** The memfd suite's state, on top of the call log and judging. */
export class MemfdWorld extends Runner {
  handles: Handle[] = [];
  closed: Handle[] = [];
  maps: Live[] = [];
  unmapped: Mapping[] = [];
  stale: Uint8Array[] = [];
  stalePaths: string[] = [];
  nextId = 1;
  /** How often a create asks for huge pages (`--huge=<percent>`). */
  hugeChance = 0.05;

  files(): Set<FileModel> {
    const out = new Set<FileModel>();
    for (const h of this.handles) out.add(h.file);
    for (const m of this.maps) out.add(m.model.file);
    return out;
  }

  handleOf(file: FileModel): Handle | undefined {
    return this.handles.find((h) => h.file === file);
  }

  pickHandle(): Handle | undefined {
    return this.handles.length === 0 ? undefined : this.rng.pick(this.handles);
  }

  pickLive(): Live | undefined {
    return this.maps.length === 0 ? undefined : this.rng.pick(this.maps);
  }

  adopt(memfd: Memfd, file: FileModel, writable: boolean): Handle {
    const h = { id: this.nextId++, memfd, file, writable, fd: memfd.fd };
    this.handles.push(h);
    return h;
  }

  forgetHandle(h: Handle): void {
    this.handles = this.handles.filter((x) => x !== h);
    this.closed.push(h);
    if (this.closed.length > KEEP_CLOSED) this.closed.shift();
    this.stalePaths.push(`/proc/${Deno.pid}/fd/${h.fd}`);
    if (this.stalePaths.length > KEEP_CLOSED) this.stalePaths.shift();
  }

  forgetMapping(live: Live): void {
    live.model.live = false;
    live.model.file.mappings.delete(live.model);
    this.maps = this.maps.filter((x) => x !== live);
    this.unmapped.push(live.mapping);
    if (this.unmapped.length > KEEP_CLOSED) this.unmapped.shift();
    this.stale.push(...live.views);
    if (this.stale.length > KEEP_STALE_VIEWS) {
      this.stale.splice(0, this.stale.length - KEEP_STALE_VIEWS);
    }
  }
}
