"""Content-addressed cache: the key follows what decides the answer; entries are atomic; corrupt = miss."""

from __future__ import annotations

from pathlib import Path

from skillforge.llm.cache import ResponseCache, cache_key
from skillforge.models.llm import LLMRequest, LLMResponse


def _req(**update: object) -> LLMRequest:
    base = LLMRequest(
        task="analyst:abc",
        template="merge",
        template_hash="0123456789abcdef",
        messages=[{"role": "user", "content": "hello"}],
    )
    return base.model_copy(update=update)


PARAMS = {"temperature": 0.0, "max_tokens": 100}


def test_key_depends_on_model_template_messages_schema_and_params_but_not_task() -> None:
    key = cache_key("m", _req(), PARAMS)
    assert key == cache_key("m", _req(task="another label"), PARAMS)
    assert key == cache_key("m", _req(), dict(reversed(list(PARAMS.items()))))  # canonical JSON
    different = [
        cache_key("other-model", _req(), PARAMS),
        cache_key("m", _req(template_hash="fedcba9876543210"), PARAMS),
        cache_key("m", _req(messages=[{"role": "user", "content": "hello!"}]), PARAMS),
        cache_key("m", _req(output_schema={"type": "object"}), PARAMS),
        cache_key("m", _req(tools=[{"type": "function"}]), PARAMS),
        cache_key("m", _req(), {**PARAMS, "temperature": 0.5}),
    ]
    assert key not in different and len(set(different)) == len(different)


def test_put_get_round_trip_and_no_temp_files_left(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    response = LLMResponse(content='{"a": 1}', model="m", prompt_tokens=3, completion_tokens=2, cost_usd=0.5)
    key = cache_key("m", _req(), PARAMS)
    assert cache.get(key) is None
    cache.put(key, response, task="t")
    assert cache.get(key) == response  # served from memory while the writer thread works
    cache.flush()
    assert ResponseCache(tmp_path).get(key) == response  # and from disk afterwards
    assert len(cache) == 1
    assert not list(tmp_path.rglob(".tmp-*"))


def test_unreadable_entry_is_a_miss_and_is_removed(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    key = cache_key("m", _req(), PARAMS)
    cache.put(key, LLMResponse(content="x"))
    cache.flush()
    path = next(tmp_path.rglob(f"{key}.json"))
    path.write_text('{"key": "' + key + '", "response": {"content": ')  # torn write
    assert cache.get(key) is None
    assert not path.exists() and cache.corrupt == 1
    # an entry stored under the wrong name is not trusted either
    other = cache_key("m", _req(template="plan"), PARAMS)
    cache.put(other, LLMResponse(content="y"))
    cache.flush()
    moved = next(tmp_path.rglob(f"{other}.json"))
    target = tmp_path / key[:2] / f"{key}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    moved.rename(target)
    assert cache.get(key) is None


def test_a_burst_of_answers_is_written_whole_and_each_is_reported_once_on_disk(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    written: list[str] = []
    keys = [cache_key("m", _req(messages=[{"role": "user", "content": f"q{i}"}]), PARAMS) for i in range(200)]

    def then(key: str) -> None:
        assert (tmp_path / key[:2] / f"{key}.json").is_file()  # the journal hears of an answer only once it is safe
        written.append(key)

    for i, key in enumerate(keys):
        cache.put(key, LLMResponse(content=f"a{i}", cost_usd=0.001), task=f"analyst:{i}", then=lambda k=key: then(k))
    cache.flush()
    assert written == keys  # in the order the answers came, each once
    fresh = ResponseCache(tmp_path)
    assert [fresh.get(k).content for k in keys] == [f"a{i}" for i in range(200)]  # type: ignore[union-attr]
    assert len(fresh) == 200 and not list(tmp_path.rglob(".tmp-*"))
