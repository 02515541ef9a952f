//! Reference kernels (to be written).

use super::{unknown, Cost, Launch, Mem};

pub fn run(kernel: &str, _mem: &mut Mem, _launch: &Launch) -> Result<Cost, String> {
    Err(unknown(kernel))
}
