using System.ComponentModel.DataAnnotations;

namespace Agentic.Rl.Rollouts;

/// <summary>Options of <see cref="SuiteScheduler"/>.</summary>
public sealed class SuiteSchedulerOptions
{
    /// <summary>Smallest share of the rollout budget any suite gets (so a suite is never abandoned). Default 0.1.</summary>
    [Range(0.0, 1.0)] public double MinShare { get; set; } = 0.1;

    /// <summary>Largest share of the rollout budget any suite gets. Default 0.6.</summary>
    [Range(0.0, 1.0)] public double MaxShare { get; set; } = 0.6;

    /// <summary>Weight of the newest step in the running success estimate of a suite (exponential moving average). Default 0.3.</summary>
    [Range(0.01, 1.0)] public double Smoothing { get; set; } = 0.3;

    /// <summary>Throws <see cref="ValidationException"/> when the options are out of range or inconsistent.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (MinShare > MaxShare) throw new ValidationException("MinShare must not exceed MaxShare.");
    }
}

/// <summary>
/// Shares the rollout budget of a multi-suite run between the suites by how much the policy can learn there: a suite
/// whose recent success rate p is near 0 (hopeless for now) or near 1 (saturated) gives GRPO groups without signal,
/// so the default weight is the variance of success, p(1 - p), plus a small floor; shares are then clamped to
/// [<see cref="SuiteSchedulerOptions.MinShare"/>, <see cref="SuiteSchedulerOptions.MaxShare"/>] (when the bounds are feasible)
/// and renormalised. Subclass and override <see cref="Weight"/> for another rule. The state (running success per suite)
/// round-trips through <see cref="GetState"/> and <see cref="SetState"/>.
/// </summary>
public class SuiteScheduler
{
    private readonly string[] _suites;
    private readonly double?[] _success;

    /// <summary>Creates a scheduler over <paramref name="suites"/>.</summary>
    public SuiteScheduler(IReadOnlyList<string> suites, SuiteSchedulerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(suites);
        if (suites.Count == 0) throw new ArgumentException("At least one suite is needed.", nameof(suites));
        Options = options ?? new SuiteSchedulerOptions();
        Options.Validate();
        _suites = [.. suites];
        _success = new double?[_suites.Length];
    }

    /// <summary>The options.</summary>
    public SuiteSchedulerOptions Options { get; }

    /// <summary>The suites, in order.</summary>
    public IReadOnlyList<string> Suites => _suites;

    /// <summary>The running success estimate of each suite (null before its first rollouts).</summary>
    public IReadOnlyList<double?> Success => _success;

    /// <summary>Records the success rate of a suite's rollouts in the last step.</summary>
    public void Record(string suite, double successRate)
    {
        int i = Array.IndexOf(_suites, suite);
        if (i < 0) throw new ArgumentException($"Unknown suite '{suite}'.", nameof(suite));
        if (!double.IsFinite(successRate) || successRate < 0 || successRate > 1) throw new ArgumentOutOfRangeException(nameof(successRate));
        _success[i] = _success[i] is { } old ? old + Options.Smoothing * (successRate - old) : successRate;
    }

    /// <summary>The current share of the budget of each suite, in <see cref="Suites"/> order; they sum to 1.</summary>
    public double[] Shares()
    {
        var weights = _suites.Select((_, i) => Math.Max(0, Weight(_success[i]))).ToArray();
        double total = weights.Sum();
        var shares = total > 0 ? weights.Select(w => w / total).ToArray() : Enumerable.Repeat(1.0 / _suites.Length, _suites.Length).ToArray();
        double min = Options.MinShare, max = Options.MaxShare;
        int n = shares.Length;
        if (min * n > 1 || max * n < 1) return shares; // bounds infeasible for this many suites: proportional shares
        // Clamp into [min, max] and redistribute the excess among the unclamped suites until nothing moves.
        for (int round = 0; round < n + 1; round++)
        {
            var clamped = shares.Select(s => Math.Clamp(s, min, max)).ToArray();
            double excess = 1 - clamped.Sum();
            var free = Enumerable.Range(0, n).Where(i => excess > 0 ? clamped[i] < max : clamped[i] > min).ToArray();
            if (Math.Abs(excess) < 1e-12 || free.Length == 0) { shares = clamped; break; }
            double freeTotal = free.Sum(i => clamped[i]);
            foreach (int i in free) clamped[i] += excess * (freeTotal > 0 ? clamped[i] / freeTotal : 1.0 / free.Length);
            shares = clamped;
        }
        double sum = shares.Sum();
        return [.. shares.Select(s => s / sum)];
    }

    /// <summary>Picks the suite of the next task (an index into <see cref="Suites"/>) by the current shares.</summary>
    public int Next(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var shares = Shares();
        double u = random.NextDouble(), acc = 0;
        for (int i = 0; i < shares.Length; i++)
        {
            acc += shares[i];
            if (u < acc) return i;
        }
        return shares.Length - 1;
    }

    /// <summary>The unnormalised weight of a suite with running success <paramref name="success"/> (null: not seen yet).</summary>
    protected virtual double Weight(double? success) => success is { } p ? p * (1 - p) + 0.02 : 0.25;

    /// <summary>The state (running success per suite; -1 for a suite not seen yet, so the state is valid JSON).</summary>
    public double[] GetState() => [.. _success.Select(s => s ?? -1)];

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(double[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Length != _success.Length) throw new ArgumentException($"Expected {_success.Length} values.", nameof(state));
        for (int i = 0; i < state.Length; i++) _success[i] = double.IsNaN(state[i]) || state[i] < 0 ? null : state[i];
    }
}
