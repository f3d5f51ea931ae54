using Agentic.Core.Agents;

namespace Agentic.Rl.Rewards;

/// <summary>
/// A shaped reward: a list of weighted <see cref="RewardShaper"/> terms. <see cref="Compute"/> returns
/// <c>Total = sum(weight * score)</c> (clamped into [<see cref="CompositeRewardOptions.MinTotal"/>,
/// <see cref="CompositeRewardOptions.MaxTotal"/>] when set) and every weighted term by shaper name.
/// </summary>
/// <remarks>
/// A composite is itself a <see cref="RewardShaper"/> (its score is the total), so composites nest. Terms are scored in
/// order, each through <see cref="RewardShaper.Score"/>; the composite keeps no state and is safe to share between threads
/// when its shapers are.
/// </remarks>
public sealed class CompositeReward : RewardShaper
{
    private readonly RewardTerm[] _terms;

    /// <summary>Creates the composite.</summary>
    /// <param name="terms">The weighted terms; shaper names must be distinct (ordinal).</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults (no clamp).</param>
    /// <exception cref="ArgumentNullException"><paramref name="terms"/> or one of its items is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A weight is not finite, two shapers share a name, or the options are invalid.</exception>
    public CompositeReward(IEnumerable<RewardTerm> terms, CompositeRewardOptions? options = null)
        : base(Validated(options).Name)
    {
        ArgumentNullException.ThrowIfNull(terms);
        Options = options ?? new CompositeRewardOptions();
        _terms = [.. terms];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var term in _terms)
        {
            if (term is null) throw new ArgumentNullException(nameof(terms), "A term is null.");
            ArgumentNullException.ThrowIfNull(term.Shaper, nameof(terms));
            if (!double.IsFinite(term.Weight)) throw new ArgumentException($"The weight of '{term.Shaper.Name}' is not finite.", nameof(terms));
            if (!names.Add(term.Shaper.Name)) throw new ArgumentException($"Two terms are named '{term.Shaper.Name}'.", nameof(terms));
        }
    }

    /// <summary>Creates the composite from (shaper, weight) pairs.</summary>
    /// <param name="terms">The weighted terms; shaper names must be distinct (ordinal).</param>
    /// <exception cref="ArgumentNullException"><paramref name="terms"/> or a shaper is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A weight is not finite, or two shapers share a name.</exception>
    public CompositeReward(params (RewardShaper Shaper, double Weight)[] terms)
        : this((terms ?? throw new ArgumentNullException(nameof(terms))).Select(t => new RewardTerm(t.Shaper, t.Weight)))
    {
    }

    /// <summary>Gets the weighted terms, in scoring order.</summary>
    public IReadOnlyList<RewardTerm> Terms => _terms;

    /// <summary>Gets the options.</summary>
    public CompositeRewardOptions Options { get; }

    /// <summary>Scores <paramref name="trajectory"/> with every term.</summary>
    /// <param name="trajectory">A finished episode.</param>
    /// <returns>The total and the weighted term of every shaper.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trajectory"/> is <see langword="null"/>.</exception>
    /// <exception cref="RewardException">A shaper's score, or a weighted term, is not finite.</exception>
    public RewardBreakdown Compute(Trajectory trajectory)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        var components = new Dictionary<string, double>(_terms.Length, StringComparer.Ordinal);
        double total = 0;
        foreach (var term in _terms)
        {
            double weighted = term.Weight * term.Shaper.Score(trajectory);
            if (!double.IsFinite(weighted)) throw new RewardException(term.Shaper.Name, weighted);
            components[term.Shaper.Name] = weighted;
            total += weighted;
        }
        if (!double.IsFinite(total)) throw new RewardException(Name, total);
        if (Options.MinTotal is { } min && total < min) total = min;
        if (Options.MaxTotal is { } max && total > max) total = max;
        return new RewardBreakdown(total, components);
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory) => Compute(trajectory).Total;

    private static CompositeRewardOptions Validated(CompositeRewardOptions? options)
    {
        options ??= new CompositeRewardOptions();
        options.Validate();
        return options;
    }
}
