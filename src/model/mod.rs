//! Plain data every layer shares, at the bottom with the report model: the
//! GPU identity a report names, the catalogue of check names and value
//! types, bench's metrics, memtest's patterns, GEMM dtypes, `monitor`'s
//! option values and the one median. Nothing here touches a GPU, reads a
//! file or prints; clap, serde and schemars derives are its only ties to
//! the layers above (ARCHITECTURE.md, "Layers").

pub mod checks;
pub mod dtype;
pub mod gpu;
pub mod list_query;
pub mod metric;
pub mod monitor;
pub mod pattern;
pub mod stats;
