use super::*;
use flate2::{Compression, write::GzEncoder};
use std::io::Write;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn invalid_reason(result: Result<TextCorpus, DataError>) -> String {
    match result {
        Err(DataError::Invalid { reason, .. }) => reason,
        other => panic!("expected an invalid-data error, got {other:?}"),
    }
}

#[test]
fn shakespeare_splits_as_nanogpt_with_the_training_vocabulary() {
    let corpus = TextCorpus::shakespeare().unwrap();
    assert_eq!(corpus.train.len(), 1_003_854);
    assert_eq!(corpus.valid.len(), 111_540);
    // every one of the 65 characters already appears in the first 90%
    assert_eq!(corpus.vocabulary.len(), 65);
    assert_eq!(corpus.vocabulary.symbols()[0], '\n');
    assert_eq!(
        corpus.vocabulary.decode(&corpus.train[..14]),
        "First Citizen:"
    );
    // the two parts are the text, cut once and nothing lost: decoded, they join back into it
    let text = gunzip_limited(SHAKESPEARE_GZ, 16 << 20).unwrap();
    let joined = corpus.vocabulary.decode(&corpus.train) + &corpus.vocabulary.decode(&corpus.valid);
    assert_eq!(joined.as_bytes(), &text[..]);
}

#[test]
fn encode_and_decode_are_inverse_and_ids_follow_sorted_characters() {
    let v = Vocabulary::from_text("hello world", false);
    assert_eq!(v.symbols(), &[' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    let ids = v.encode("world hello", UnknownChars::Error).unwrap();
    assert_eq!(ids[0], 7);
    assert_eq!(v.decode(&ids), "world hello");
    assert_eq!(v.decode(&[99]), "\u{fffd}");
}

#[test]
fn characters_only_in_the_validation_part_follow_the_policy() {
    // 30 characters: the last 3 ("xyz") are the validation part, which the first 27 lack
    let text = "abcabcabcabcabcabcabcabcabcxyz";
    let reason = invalid_reason(TextCorpus::from_text("t", text, UnknownChars::Error));
    assert!(reason.contains("'x' ×1"), "{reason}");
    assert!(reason.contains("unknown=skip"), "{reason}");

    let skip =
        TextCorpus::from_text("t", "abcabcabcabcabcabcabcabcabcxya", UnknownChars::Skip).unwrap();
    assert_eq!(skip.vocabulary.decode(&skip.valid), "a");
    assert_eq!(skip.vocabulary.len(), 3);

    let token =
        TextCorpus::from_text("t", "abcabcabcabcabcabcabcabcabcxya", UnknownChars::Token).unwrap();
    assert_eq!(token.vocabulary.len(), 4);
    assert_eq!(token.valid, vec![3, 3, 0]);
    assert_eq!(token.vocabulary.decode(&token.valid), "\u{fffd}\u{fffd}a");
}

#[test]
fn windows_are_seeded_and_their_targets_are_one_character_ahead() {
    let text: String = (0..1000)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let corpus = TextCorpus::from_text("abc", &text, UnknownChars::Error).unwrap();
    let draw = |seed| {
        corpus
            .windows(TextSplit::Train, 8, 16, &mut Rng::new(seed))
            .unwrap()
    };
    let w = draw(7);
    assert_eq!(w, draw(7));
    assert_ne!(w, draw(8));
    assert_eq!((w.inputs.len(), w.targets.len()), (8 * 16, 8 * 16));
    for (x, y) in w.inputs.iter().zip(&w.targets) {
        assert_eq!((x + 1) % 26, *y, "the alphabet continues");
    }
    // the last possible window is reachable and none runs past the end
    let tight = corpus
        .windows(TextSplit::Valid, 50, 99, &mut Rng::new(1))
        .unwrap();
    assert!(tight.targets.iter().all(|&t| (t as usize) < 26));
    let reason = match corpus.windows(TextSplit::Valid, 1, 100, &mut Rng::new(1)) {
        Err(DataError::Invalid { reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    assert!(reason.contains("use a context below 100"), "{reason}");
    let (x, y) = w.tensors(&Device::flex());
    assert_eq!((x.dims(), y.dims()), ([8, 16], [8, 16]));
}

#[test]
fn empty_binary_non_utf8_and_tiny_files_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let cases: [(&str, &[u8], &str); 4] = [
        ("empty.txt", b"", "empty"),
        (
            "binary.bin",
            b"text\0\x01\x02 and more text than that",
            "byte 4 is NUL",
        ),
        (
            "latin1.txt",
            b"caf\xe9 au lait, a long enough line",
            "offset 3",
        ),
        ("tiny.txt", b"hi", "too little text"),
    ];
    for (name, bytes, expected) in cases {
        let reason = invalid_reason(TextCorpus::from_file(
            &write(name, bytes),
            UnknownChars::Error,
        ));
        assert!(reason.contains(expected), "{name}: {reason}");
    }
    let missing = TextCorpus::from_file(&dir.path().join("nope.txt"), UnknownChars::Error);
    assert!(matches!(missing, Err(DataError::Io { .. })), "{missing:?}");
}

#[test]
fn gzip_files_load_like_plain_ones_and_bombs_stop_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let text = "To be, or not to be, that is the question. ".repeat(20);
    let plain = dir.path().join("plain.txt");
    let packed = dir.path().join("packed.txt.gz");
    std::fs::write(&plain, &text).unwrap();
    std::fs::write(&packed, gzip(text.as_bytes())).unwrap();
    let a = TextCorpus::from_file(&plain, UnknownChars::Error).unwrap();
    let b = TextCorpus::from_file(&packed, UnknownChars::Error).unwrap();
    assert_eq!((a.train, a.valid), (b.train, b.valid));

    let bomb = gzip(&vec![b'a'; 1 << 20]);
    let err = gunzip_limited(&bomb, 1 << 16).unwrap_err();
    assert!(err.contains("expands to more than 64.0 KiB"), "{err}");
    assert!(gunzip_limited(b"\x1f\x8b not gzip", 1 << 16).is_err());
}

#[test]
fn the_policy_parses_and_prints_back() {
    for name in UnknownChars::NAMES {
        let policy: UnknownChars = name.parse().unwrap();
        assert_eq!(policy.to_string(), name);
    }
    assert!(
        "ignore"
            .parse::<UnknownChars>()
            .unwrap_err()
            .contains("error, skip, token")
    );
}
