//! One module per subcommand. Each turns arguments into a [`Report`]
//! (or an [`AppError`] when it cannot run) and never prints.
//!
//! [`Report`]: crate::report::Report
//! [`AppError`]: crate::error::AppError

pub mod burn;
pub mod health;
pub mod list;
pub mod probe;

use crate::cli::GlobalArgs;
use crate::device::inventory::{self, Enumerate, Inventory};
use crate::device::{select, Backend, Gpu};
use crate::error::AppError;

/// The backend, inventory and the GPUs the user selected: what every
/// command starts from.
pub struct Selected {
    pub backend: Backend,
    pub inventory: Inventory,
    /// Positions in `inventory.gpus`.
    pub picked: Vec<usize>,
}

impl Selected {
    pub fn open(global: &GlobalArgs, mode: Enumerate) -> Result<Self, AppError> {
        let backend = Backend::from_env_bounded(global.call_timeout)?;
        let inventory = inventory::enumerate(&backend, mode)?;
        let picked = select::resolve(global.selectors(), &inventory)?;
        Ok(Self {
            backend,
            inventory,
            picked,
        })
    }

    pub fn gpus(&self) -> impl Iterator<Item = &Gpu> {
        self.picked.iter().map(|&p| &self.inventory.gpus[p])
    }
}
