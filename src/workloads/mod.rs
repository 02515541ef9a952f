pub mod parity;
