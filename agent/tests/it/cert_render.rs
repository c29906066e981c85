//! Rendering of the golden certificates: the text form is snapshotted (insta); the HTML page is
//! one self-contained A4 document in the certificate's language with a QR code of its digest.

use reprise::cert::{envelope, render};

use crate::support::certs;

fn golden(index: usize) -> envelope::Verified {
    let dir = certs::fixtures().join("golden");
    let name = &certs::json_files(&dir)[index];
    envelope::verify(&std::fs::read(dir.join(name)).unwrap(), None).unwrap()
}

#[test]
fn text_of_the_english_golden_certificate() {
    let v = golden(0);
    insta::assert_snapshot!(render::text(&v.envelope.certificate, &v.digest));
}

#[test]
fn text_of_the_french_golden_certificate() {
    let v = golden(1);
    insta::assert_snapshot!(render::text(&v.envelope.certificate, &v.digest));
}

#[test]
fn html_is_one_a4_page_with_a_qr_code_and_escaped_content() {
    let v = golden(1);
    let mut cert = v.envelope.certificate.clone();
    cert.issuer.operator = "<script>alert(1)</script> & co".into();
    let page = render::html(&cert, &v.digest);
    assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"fr\">"));
    assert!(page.contains("@page { size: A4;"));
    assert_eq!(page.matches("<svg").count(), 1);
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
    assert!(!page.contains("<script>"));
    assert!(page.contains("RECONDITIONNER"));
    assert!(page.contains(&v.digest));
    // No external resource: the page prints offline.
    let without_svg_namespace = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_svg_namespace.contains("http"));
    assert!(!page.contains("src="));
}

/// Reads back the QR code of a page as a phone would: the SVG's modules (`M{x} {y}h{m}v{m}…`,
/// one m-pixel square each) drawn into a bitmap, decoded by rqrr.
fn decode_qr(page: &str) -> String {
    let start = page.find("<svg").expect("an SVG QR code");
    let svg = &page[start..start + page[start..].find("</svg>").expect("closed")];
    let size: usize = svg
        .split("width=\"")
        .nth(1)
        .and_then(|w| w.split('"').next())
        .and_then(|w| w.parse().ok())
        .expect("width");
    let d = svg
        .split(" d=\"")
        .nth(1)
        .expect("a path")
        .split('"')
        .next()
        .unwrap();
    let mut dark = vec![false; size * size];
    for square in d.split('M').skip(1) {
        let (x, rest) = square.split_once(' ').unwrap();
        let y: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let m: String = rest[y.len() + 1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let (x, y, m): (usize, usize, usize) =
            (x.parse().unwrap(), y.parse().unwrap(), m.parse().unwrap());
        for yy in y..y + m {
            for xx in x..x + m {
                dark[yy * size + xx] = true;
            }
        }
    }
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(size, size, |x, y| {
        if dark[y * size + x] { 0 } else { 255 }
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("the QR code decodes").1
}

#[test]
fn qr_code_holds_the_digest_or_the_page_on_the_server() {
    let v = golden(0);
    let page = render::html(&v.envelope.certificate, &v.digest);
    assert_eq!(decode_qr(&page), v.digest);
    let page = render::html_for(
        &v.envelope.certificate,
        &v.digest,
        Some("http://10.0.5.1:8080/"),
    );
    let hex = v.digest.strip_prefix("sha256:").unwrap();
    assert_eq!(decode_qr(&page), format!("http://10.0.5.1:8080/c/{hex}"));
    assert!(page.contains("page on the workshop server") || page.contains("serveur de l'atelier"));
    // Different digests give different codes.
    assert_ne!(render::qr_svg(&v.digest), render::qr_svg(&golden(1).digest));
}
