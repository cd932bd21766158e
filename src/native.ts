/**
 * The native door: the one module that imports the generated bindings in
 * `ffi/`. Everything else in the library reaches the Rust side through
 * here, so a regenerated `ffi/` (or a Deno whose FFI types differ) is
 * adapted in one place.
 * @module
 */

export * from "../ffi/mod.ts";
