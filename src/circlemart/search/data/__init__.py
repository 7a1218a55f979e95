"""Package data of search: the committed segmentation word list (userdict.txt)."""
