//! A convolutional feature map and the pooling that turns it, or a region of it, into a vector.

use glint_types::l2_normalize;

/// Channels x height x width activations of one image, channel-major.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMap {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub data: Vec<f32>,
}

// Generalised-mean pooling with exponent 3, between average (1) and max (infinity): the usual
// choice for retrieval (Radenović et al.). It favours the strongest local responses, which
// makes a region's vector less sensitive to the background around the object. Cubes and cube
// roots are written out because `powf` dominated ingest time.

impl FeatureMap {
    /// Unit-length GeM-pooled descriptor of the whole map.
    pub fn global_descriptor(&self) -> Vec<f32> {
        self.region_descriptor(0, 0, self.width, self.height)
    }

    /// Unit-length GeM-pooled descriptor of cells `[x0, x1) x [y0, y1)`, clamped to the map.
    pub fn region_descriptor(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> Vec<f32> {
        let (x1, y1) = (x1.min(self.width), y1.min(self.height));
        let (x0, y0) = (x0.min(x1.saturating_sub(1)), y0.min(y1.saturating_sub(1)));
        let cells = ((x1 - x0) * (y1 - y0)).max(1) as f32;
        let plane = self.width * self.height;
        let mut out: Vec<f32> = (0..self.channels)
            .map(|c| {
                let base = c * plane;
                let mut sum = 0.0f32;
                for y in y0..y1 {
                    for x in x0..x1 {
                        let v = self.data[base + y * self.width + x].max(0.0);
                        sum += v * v * v;
                    }
                }
                (sum / cells).cbrt()
            })
            .collect();
        l2_normalize(&mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_pooling_sees_only_its_cells() {
        // Two channels on a 2x1 map: channel 0 fires on the left cell, channel 1 on the right.
        let map = FeatureMap {
            channels: 2,
            height: 1,
            width: 2,
            data: vec![1.0, 0.0, 0.0, 1.0],
        };
        assert_eq!(map.region_descriptor(0, 0, 1, 1), vec![1.0, 0.0]);
        assert_eq!(map.region_descriptor(1, 0, 2, 1), vec![0.0, 1.0]);
        let g = map.global_descriptor();
        assert!((g[0] - g[1]).abs() < 1e-6);
    }
}
