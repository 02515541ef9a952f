//! [`super::Context`] on the CUDA driver API.
