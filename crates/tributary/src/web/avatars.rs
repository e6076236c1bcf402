//! `GET /avatars/:id`: the picture behind the `avatar` URL of a user who has none of their
//! own (docs/compatibility.md, "Avatars"). A plain coloured disc chosen by the id: it needs
//! no lookup and so tells nothing about the user.

use axum::extract::Path;
use axum::http::header;
use axum::response::IntoResponse;

/// The same palette as the page's initials avatars (`.tone-0` .. `.tone-7`).
const PALETTE: [&str; 8] = [
    "#2f6fde", "#0f8a6a", "#b4530a", "#8e44ad", "#c0392b", "#2c7a7b", "#6b6f1a", "#5a5fcf",
];

pub fn svg(id: i64) -> String {
    let color = PALETTE[id.rem_euclid(PALETTE.len() as i64) as usize];
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\" width=\"64\" height=\"64\">\
         <rect width=\"64\" height=\"64\" rx=\"12\" fill=\"{color}\"/>\
         <circle cx=\"32\" cy=\"25\" r=\"11\" fill=\"#fff\" fill-opacity=\".85\"/>\
         <path d=\"M12 56c2-11 10-17 20-17s18 6 20 17z\" fill=\"#fff\" fill-opacity=\".85\"/></svg>"
    )
}

/// GET /avatars/:id
pub async fn show_avatar(Path(id): Path<String>) -> impl IntoResponse {
    let id = id.trim_end_matches(".svg").parse::<i64>().unwrap_or(0);
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        svg(id),
    )
}
