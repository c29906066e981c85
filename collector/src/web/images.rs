//! The images page: the OS images kept for the agents (name, version, sizes, the SHA-256 of the
//! raw bytes an agent checks what it wrote against, when and by whom added, removed or not),
//! and the PXE marks that name an image, with what that name gives today — a removed image
//! still shows, as removed, wherever it is named.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header::HeaderMap;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use reprise_cert::Language;

use super::list::short_time;
use super::{App, Ctx, t};
use crate::store::Image;
use crate::util::{esc, human_size};

/// A size in a human unit, with the exact byte count in its title.
fn size_cell(n: i64) -> String {
    format!(
        "<td title=\"{n} B\" data-bytes=\"{n}\">{}</td>",
        esc(&human_size(n))
    )
}

fn status_cell(l: Language, i: &Image) -> String {
    match &i.removed_at {
        Some(at) => format!(
            "<span class=\"bad\">{} {}</span>",
            t(l, "removed", "supprimée"),
            esc(&short_time(at))
        ),
        None => format!(
            "<span class=\"ok\">{}</span>",
            t(l, "available", "disponible")
        ),
    }
}

/// What a mark's image name gives today: the version `NAME` alone downloads, or why none.
fn named_cell(l: Language, images: &[Image], name: &str) -> String {
    // `images` is by name, newest first: the first available one is what NAME alone means.
    let mut of_name = images.iter().filter(|i| i.name == name).peekable();
    if of_name.peek().is_none() {
        return format!(
            "<span class=\"bad\">{}</span>",
            t(l, "no such image", "image inconnue")
        );
    }
    match of_name.find(|i| i.removed_at.is_none()) {
        Some(i) => format!(
            "<span class=\"ok\">{} {}</span>",
            t(l, "version", "version"),
            esc(&i.version)
        ),
        None => format!(
            "<span class=\"bad\">{}</span>",
            t(l, "image removed", "image supprimée")
        ),
    }
}

/// `GET /images`
pub async fn page(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let ctx = match Ctx::guard(&app, &headers, &uri).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let l = ctx.lang;
    let (images, marks) = match (app.store.images().await, app.store.marks().await) {
        (Ok(i), Ok(m)) => (i, m),
        (Err(e), _) | (_, Err(e)) => return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        t(l, "Images", "Images"),
        t(
            l,
            "Disk images the agents write after a refurbish verdict (reprise.deploy=NAME). The \
             SHA-256 is that of the raw bytes: the agent reads the disk back and compares.",
            "Images disque que les agents écrivent après un verdict de reconditionnement \
             (reprise.deploy=NOM). Le SHA-256 est celui des octets bruts : l'agent relit le \
             disque et compare.",
        )
    );
    if images.is_empty() {
        let _ = writeln!(
            body,
            "<p>{}</p>",
            t(
                l,
                "No image yet: reprise-collector image add FILE --name NAME --db DB",
                "Aucune image : reprise-collector image add FICHIER --name NOM --db BASE",
            )
        );
    } else {
        let _ = write!(
            body,
            "<table class=\"list\" id=\"images\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th>\
             <th>{}</th><th>{}</th><th>SHA-256</th><th>{}</th><th>{}</th><th>{}</th></tr>\
             </thead>\n<tbody>\n",
            t(l, "Name", "Nom"),
            t(l, "Version", "Version"),
            t(l, "Compression", "Compression"),
            t(l, "Size", "Taille"),
            t(l, "Raw size", "Taille brute"),
            t(l, "Added", "Ajoutée"),
            t(l, "By", "Par"),
            t(l, "Status", "État"),
        );
        for i in &images {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td>{}{}<td class=\"mono\">{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td></tr>",
                esc(&i.name),
                esc(&i.version),
                esc(&i.compression),
                size_cell(i.size),
                size_cell(i.raw_size),
                esc(&i.sha256),
                esc(&short_time(&i.added_at)),
                esc(&i.added_by),
                status_cell(l, i),
            );
        }
        body.push_str("</tbody>\n</table>\n");
    }
    let named: Vec<_> = marks.iter().filter(|m| m.image.is_some()).collect();
    if !named.is_empty() {
        let _ = write!(
            body,
            "<h2>{}</h2>\n<table class=\"list\" id=\"marks\">\n<thead><tr><th>{}</th><th>{}</th>\
             <th>{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
            t(
                l,
                "PXE marks that deploy an image",
                "Marques PXE qui déploient une image"
            ),
            t(l, "Machines", "Machines"),
            t(l, "Mode", "Mode"),
            t(l, "Site", "Site"),
            t(l, "Image", "Image"),
            t(l, "Gives today", "Donne aujourd'hui"),
        );
        for m in named {
            let name = m.image.as_deref().unwrap_or_default();
            let _ = writeln!(
                body,
                "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&m.kind),
                esc(&m.value),
                esc(&m.mode),
                esc(m.site.as_deref().unwrap_or("")),
                esc(name),
                named_cell(l, &images, name),
            );
        }
        body.push_str("</tbody>\n</table>\n");
    }
    ctx.page(StatusCode::OK, t(l, "Images", "Images"), &body)
}
