"""HARE: human-in-the-loop algorithmic recourse.

The engine behind the Streamlit app and the ``python -m hare`` command line: real datasets,
torch classifiers, base recourse generators, the HARE question/answer session, simulated users,
metrics and a DuckDB-backed sweep runner.
"""

__version__ = "0.1.0"

# Which engine computed a stored run. Change it in any commit that moves a stored result
# (a generator, the sampling, BPS, the simulated users, a metric), so stores can tell runs of
# different engines apart.
# 2026.12.1: COMPAS CCHVAE VAE stops early; .2: active HARE bisects valid particles only;
# .3: active HARE's invalid_candidates is 0, its skipped comparisons no longer stored there;
# .4: active HARE's posterior over kinds of person, its champion comparison, sparse rays;
# .5: active HARE starts from the base recourse itself, keeps the person's every pick against
# the champion (no overrule), asks pairs with the champion, and has limit hypotheses;
# .6: active HARE keeps 192 particles (not 256) and calibrates them by a secant search;
# .7: active HARE counts a pair with the champion twice when it chooses a question;
# .8: three times for a person of a cost kind, scaled down to once for an ideal-point person;
# .9: active HARE settles in each round every option the person picked against the champion
# .10: active HARE marginalises each person's answer sharpness (β and 3β) beside their lapse
# .11: active HARE scores 18 candidate particles a question (not 24), and settles a rival whose
# pair with the champion was asked only as a near copy
# .12: active HARE ranks a question's candidates over the 64 likeliest ideal points, and
# computes answer likelihoods in float32
# .13: active HARE's champion starts at the base recourse's calibrated particle where that is as
# near the factual on every feature, the base settled against it in the first round
# .14: active HARE's candidates include the favourite particles of a few cost hypotheses drawn
# from the posterior, and refreshes propose particles around the champion for cost kinds
# .15: one of active HARE's candidates cuts one of the champion's changes
# .16: active HARE's posterior has a hardest-change kind of person (the largest single change)
ENGINE_REVISION = "2026.12.16"
