"""Children's stories in the TinyStories style from a seeded grammar (issue 14), the byte-level BPE
trained on them, and the story codebook model's recipe. Pure Python for the corpus and tokenizer;
torch for training. Run with Debian's /usr/bin/python3 and tools/python on sys.path."""
