# zhinvest: `make demo` (install + extract a sample article), `make test` (install + tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU wheel by default; on a CUDA box: make install TORCH_SPEC="torch>=2.2"
TORCH_SPEC ?= torch==2.13.0
EXTRAS ?= train,baseline,ray,dev
CONFIG ?= training/configs/small.toml
MODEL ?= models/zhinvest-small
ARTICLES ?= ../shared/articles ../shared/articles-more
CORPUS ?= ../shared/corpus
BENCH_ARGS ?=

.PHONY: install demo test test-unit test-labelstudio train evaluate pretrain dapt bench annotations-report consistency clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

demo: install
	$(BIN)/zhinvest extract examples/sample_article.txt --doc-date 2024-03-09 --format jsonl
	$(BIN)/zhinvest extract examples/sample_article.txt --doc-date 2024-03-09 --format csv

test: test-unit test-labelstudio

test-unit: install
	$(BIN)/python -m pytest -q

test-labelstudio: install
	bash tests/integration/run_labelstudio.sh

train: install
	$(BIN)/python -m training.train --config $(CONFIG) --articles $(ARTICLES)

evaluate: install
	$(BIN)/python -m training.evaluate --model $(MODEL) --articles $(ARTICLES)

pretrain: install
	$(BIN)/python -m training.pretrain --corpus $(CORPUS)

# domain-adaptive MLM on CPU (~13 min on 2 cores): models/base continued on the gov/biz shard and the
# train articles (dev left out); fine-tune on it with: make train CONFIG=... or --set base_encoder=runs/dapt/encoder
DAPT_STEPS ?= 300
dapt: install
	$(BIN)/python -m training.pretrain --init models/base --shards 'p2_gov_biz*' \
		$(foreach folder,$(ARTICLES),--articles $(folder)) --exclude-dev annotations/split.json \
		--out runs/dapt/encoder --steps $(DAPT_STEPS) --batch-size 32 --seq-len 128 --warmup 20 --lr 2e-4 \
		--eval-every $(DAPT_STEPS) --held-out-lines 500

consistency: install
	$(BIN)/python -m training.consistency --articles $(ARTICLES) --out annotations/CONSISTENCY.md

annotations-report: install
	$(BIN)/python -m training.annotation_report --articles $(ARTICLES)

bench: install
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .venv-ls .pytest_cache build *.egg-info
