using System.ComponentModel.DataAnnotations;
using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Rewards;

/// <summary>Options of <see cref="LengthPenalty"/>.</summary>
public sealed class LengthPenaltyOptions
{
    /// <summary>Gets or sets the length at which the full penalty applies (DAPO's L_max), in policy tokens. Default 1024.</summary>
    [Range(1, int.MaxValue)] public int MaxTokens { get; set; } = 1024;

    /// <summary>Gets or sets the width of the soft zone below <see cref="MaxTokens"/> (DAPO's L_cache). Default 256.</summary>
    [Range(0, int.MaxValue)] public int Cache { get; set; } = 256;

    /// <summary>Gets or sets the full penalty (a positive amount, subtracted). Default 1; the composite's term weight scales it further.</summary>
    [Range(0.0, double.MaxValue)] public double Weight { get; set; } = 1;

    /// <summary>
    /// Gets or sets how many characters of assistant text make one token when the trajectory has no token ids (a
    /// remote <see cref="IChatClient"/> policy). Default 1 (the byte-level tokenizers of this project's small policies).
    /// </summary>
    [Range(1e-6, double.MaxValue)] public double CharactersPerToken { get; set; } = 1;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ValidationException">An option is out of range, or <see cref="Cache"/> exceeds <see cref="MaxTokens"/>.</exception>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (Cache > MaxTokens) throw new ValidationException("Cache must not exceed MaxTokens.");
        if (!double.IsFinite(Weight) || !double.IsFinite(CharactersPerToken)) throw new ValidationException("Weight and CharactersPerToken must be finite.");
    }
}

/// <summary>
/// DAPO's soft overlong penalty on the episode's policy tokens L (the count of <see cref="Trajectory.LossMask"/> entries
/// that are true): 0 when L &lt;= MaxTokens - Cache; <c>-Weight * (L - (MaxTokens - Cache)) / Cache</c> in between
/// (reaching -Weight at MaxTokens); -Weight beyond. Named <c>length</c>.
/// </summary>
/// <remarks>
/// When the trajectory carries no token ids (a remote chat-client policy), L is estimated from the assistant messages'
/// text: <c>ceil(characters / CharactersPerToken)</c>. With <see cref="LengthPenaltyOptions.Cache"/> = 0 the penalty is a
/// step at MaxTokens.
/// </remarks>
public sealed class LengthPenalty : RewardShaper
{
    /// <summary>The default name, <c>length</c>.</summary>
    public const string DefaultName = "length";

    private readonly int _maxTokens;
    private readonly int _cache;
    private readonly double _weight;
    private readonly double _charactersPerToken;

    /// <summary>Creates the shaper.</summary>
    /// <param name="options">The options (read once), or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ValidationException">The options are invalid.</exception>
    public LengthPenalty(LengthPenaltyOptions? options = null)
        : base(DefaultName)
    {
        options ??= new LengthPenaltyOptions();
        options.Validate();
        _maxTokens = options.MaxTokens;
        _cache = options.Cache;
        _weight = options.Weight;
        _charactersPerToken = options.CharactersPerToken;
    }

    /// <summary>The penalty for <paramref name="length"/> policy tokens.</summary>
    /// <param name="length">Policy tokens.</param>
    /// <returns>A score in [-Weight, 0].</returns>
    public double Penalty(long length)
    {
        long free = _maxTokens - _cache;
        if (length <= free) return 0;
        if (length > _maxTokens || _cache == 0) return -_weight;
        // The share of the cache used first: in [0, 1], so the ramp ends at exactly -weight (weight x share / cache could round below it).
        return -_weight * ((double)(length - free) / _cache);
    }

    /// <summary>The number of policy tokens of <paramref name="trajectory"/>, or its text-length estimate when it has no token ids.</summary>
    /// <param name="trajectory">A finished episode.</param>
    /// <returns>The length used by the penalty.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trajectory"/> is <see langword="null"/>.</exception>
    public long PolicyLength(Trajectory trajectory)
    {
        ArgumentNullException.ThrowIfNull(trajectory);
        if (trajectory.TokenIds.Length > 0) return trajectory.LossMask.LongCount(m => m);
        long characters = trajectory.Messages.Where(m => m.Role == ChatRole.Assistant).Sum(m => (long)(m.Text?.Length ?? 0));
        return (long)Math.Ceiling(characters / _charactersPerToken);
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory) => Penalty(PolicyLength(trajectory));
}
