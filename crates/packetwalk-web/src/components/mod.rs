pub mod app;
pub mod diagram;
