pub mod app;
pub mod controls;
pub mod diagram;
pub mod hops;
pub mod import_panel;
pub mod packet_editor;
pub mod share;
pub mod tour_panel;
