//! The UCI optical handwritten digits (Alpaydin & Kaynak 1998; CC BY 4.0), embedded in the crate so
//! that training works offline with no files to fetch: 1,797 images of 8×8 pixels (0..16 scaled to
//! 0..255), 10 classes, split 1,437 / 360 with a fixed seed (see `data/uci-digits/README.md`).

use super::{Dataset, idx};
use crate::error::DataError;
use std::path::Path;

const TRAIN_IMAGES: &[u8] = include_bytes!("../../data/uci-digits/train-images-idx3-ubyte.gz");
const TRAIN_LABELS: &[u8] = include_bytes!("../../data/uci-digits/train-labels-idx1-ubyte.gz");
const TEST_IMAGES: &[u8] = include_bytes!("../../data/uci-digits/t10k-images-idx3-ubyte.gz");
const TEST_LABELS: &[u8] = include_bytes!("../../data/uci-digits/t10k-labels-idx1-ubyte.gz");

/// `(train, test)`: 1,437 and 360 images of `[1, 8, 8]`.
pub fn load() -> Result<(Dataset, Dataset), DataError> {
    let split = |images: &[u8], labels: &[u8], part: &str| -> Result<Dataset, DataError> {
        let (ip, lp) = (
            Path::new("<embedded digits>").join(part),
            Path::new("<embedded digits>").join(part),
        );
        idx::images_and_labels(
            "digits",
            idx::parse(images, &ip)?,
            idx::parse(labels, &lp)?,
            (&ip, &lp),
        )
    };
    Ok((
        split(TRAIN_IMAGES, TRAIN_LABELS, "train")?,
        split(TEST_IMAGES, TEST_LABELS, "test")?,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn embedded_digits_have_the_documented_shape() {
        let (train, test) = super::load().unwrap();
        assert_eq!((train.len(), test.len()), (1437, 360));
        assert_eq!(train.sample_shape, vec![1, 8, 8]);
        assert_eq!(train.num_classes, 10);
        assert!(train.class_counts().iter().all(|&c| c > 100));
        assert!(train.features.iter().all(|&v| (0.0..=255.0).contains(&v)));
    }
}
