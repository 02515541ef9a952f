//! Errors that stop a command before it can produce a verdict.
//!
//! Unhealthy hardware is never an error: it is a check result. An
//! [`AppError`] means the tool could not do its job (bad input, missing
//! driver), and carries the exit code that says which.

use crate::exit;
use std::fmt;

/// Why a command could not run.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Bad argument, selector, duration, config value: exit 2.
    Usage,
    /// No driver library, no GPU, no permission: exit 3.
    Environment,
    /// A bug or unexpected failure inside gpuctl: exit 3.
    Internal,
}

/// A command-stopping error with a one-line, user-facing message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
}

impl AppError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Usage,
            message: message.into(),
        }
    }

    pub fn environment(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Environment,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Internal,
            message: message.into(),
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::Usage => exit::USAGE,
            ErrorKind::Environment | ErrorKind::Internal => exit::ENVIRONMENT,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_maps_to_its_documented_exit_code() {
        assert_eq!(AppError::usage("x").exit_code(), exit::USAGE);
        assert_eq!(AppError::environment("x").exit_code(), exit::ENVIRONMENT);
        assert_eq!(AppError::internal("x").exit_code(), exit::ENVIRONMENT);
    }
}
