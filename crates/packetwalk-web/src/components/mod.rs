pub mod app;
pub mod controls;
pub mod diagram;
pub mod editor;
pub mod hops;
pub mod import_panel;
pub mod packet_editor;
pub mod tour_panel;
