//! Rendering of the golden certificates: the text form is snapshotted (insta); the HTML page is
//! one self-contained A4 document in the certificate's language with a QR code of its digest.

#[path = "fixtures/cert/support.rs"]
mod support;

use reprise::cert::{envelope, render};

fn golden(index: usize) -> envelope::Verified {
    let dir = support::fixtures().join("golden");
    let name = &support::json_files(&dir)[index];
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

#[test]
fn qr_code_encodes_the_digest() {
    let v = golden(0);
    let svg = render::qr_svg(&v.digest);
    assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
    // Different digests give different codes.
    assert_ne!(svg, render::qr_svg(&golden(1).digest));
}
