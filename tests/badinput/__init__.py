"""Bad input of every kind: each defect found by the campaign of issue 12, and a corpus."""
