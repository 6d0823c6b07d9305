"""Writes pycocoevalcap_cases.json: random tokenised corpora scored by pycocoevalcap itself.

Run with salaniz/pycocoevalcap at commit ad63453cfab57a81a02b2949b17a91fab1c3df77 on the path (only its bleu,
rouge and cider packages are used; they need numpy) as: python3 make_pycocoevalcap_cases.py > pycocoevalcap_cases.json
The corpora are already tokenised (the scorers' input), with the corner cases the scorers treat specially: empty
captions, runs of spaces and leading or trailing spaces (ROUGE-L splits on single spaces, BLEU and CIDEr-D on any
whitespace, including the non-breaking space), repeated words, ties of reference lengths, and corpora of 1 to 257
images (numpy's pairwise summation changes at 8 and 128 values).
"""
import contextlib
import io
import json
import random

from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge

random.seed(20240611)
VOCABULARY = ["a", "the", "dog", "cat", "on", "in", "man", "red", "sits", "park", "two", "of", "and", "'s", "n't",
              "x\u00a0y", "-lrb-"]


def sentence():
    n = random.choice([0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15])
    words = [random.choice(VOCABULARY) for _ in range(n)]
    s = " ".join(words)
    if random.random() < 0.05:
        s = s.replace(" ", "  ", 1)
    if random.random() < 0.03:
        s = " " + s + " "
    return s


cases = []
for images in [1, 2, 7, 8, 9, 17, 130, 257]:
    gts = {str(i): [sentence() for _ in range(random.randint(1, 5))] for i in range(images)}
    res = {str(i): [sentence()] for i in range(images)}
    with contextlib.redirect_stdout(io.StringIO()):
        bleu, bleu_per_image = Bleu(4).compute_score(gts, res)
    rouge, rouge_per_image = Rouge().compute_score(gts, res)
    cider, cider_per_image = Cider().compute_score(gts, res)
    corpus = dict(zip(["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4"], bleu))
    corpus.update(ROUGE_L=float(rouge), CIDEr=float(cider))
    per_image = dict(zip(["Bleu_1", "Bleu_2", "Bleu_3", "Bleu_4"], bleu_per_image))
    per_image.update(ROUGE_L=[float(x) for x in rouge_per_image], CIDEr=[float(x) for x in cider_per_image])
    cases.append({"references": gts, "predictions": {k: v[0] for k, v in res.items()}, "corpus": corpus,
                  "per_image": per_image})
print(json.dumps({"cases": cases}, separators=(",", ":")))
