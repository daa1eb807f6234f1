fn main() {
    packetwalk_web::run();
}
