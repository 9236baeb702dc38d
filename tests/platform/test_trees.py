from shared.trees import descendants


def test_descendants_of_a_county_include_every_level_below_it_and_nothing_beside_it():
    pairs = [("county", None), ("civil", "county"), ("finance", "county"), ("town", "civil"), ("other-county", None), ("x", "other-county")]
    assert descendants(pairs, "county") == {"county", "civil", "finance", "town"}
    assert descendants(pairs, "civil") == {"civil", "town"}
    assert descendants(pairs, "unknown") == {"unknown"}


def test_a_cycle_in_replicated_data_does_not_loop_forever():
    assert descendants([("a", "b"), ("b", "a")], "a") == {"a", "b"}
