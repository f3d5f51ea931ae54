using System.ComponentModel.DataAnnotations;
using Agentic.Core.Chat;
using Agentic.Core.Sampling;
using Agentic.Core.Tokenization;
using Agentic.Rl.Advantages;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Rl.Training;

namespace Agentic.Rl.SelfVerification;

/// <summary>Options of <see cref="SelfVerificationTrainer"/>.</summary>
public sealed class SelfVerificationOptions
{
    /// <summary>A verification step after every this many generation steps (5 in the reference setup).</summary>
    [Range(1, 1_000_000)] public int Every { get; set; } = 5;

    /// <summary>(problem, answer) pairs per verification step, half correct and half incorrect. Default 8.</summary>
    [Range(2, 4096)] public int PairsPerStep { get; set; } = 8;

    /// <summary>Verdicts sampled per pair (the GRPO group). Default 8.</summary>
    [Range(2, 1024)] public int GroupSize { get; set; } = 8;

    /// <summary>Most tokens of a verdict. Default 4.</summary>
    [Range(1, 1024)] public int MaxNewTokens { get; set; } = 4;

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}

/// <summary>What one verification step did.</summary>
/// <param name="Pairs">Pairs judged.</param>
/// <param name="Accuracy">Share of sampled verdicts that were right.</param>
/// <param name="InvalidVerdicts">Share of sampled verdicts that stated neither yes nor no.</param>
/// <param name="Update">The policy-gradient update (null when the buffer could not give a balanced batch).</param>
public sealed record VerificationStepResult(int Pairs, double Accuracy, double InvalidVerdicts, PolicyGradientResult? Update);

/// <summary>
/// Self-verification as a second RL task: the policy learns to judge whether a (problem, answer) pair is correct,
/// from its own on-policy answers (fed into <see cref="Buffer"/> by the generation task), drawn balanced between
/// correct and incorrect, with GRPO over sampled verdicts (reward 1 for the right verdict, 0 otherwise) and the same
/// <see cref="PolicyGradientTrainer"/> as generation, every <see cref="SelfVerificationOptions.Every"/> generation steps.
/// </summary>
public sealed class SelfVerificationTrainer
{
    private readonly MoeCausalLM _model;
    private readonly ByteLevelTokenizer _tokenizer;
    private readonly ChatTemplate _template;
    private readonly PolicyGradientTrainer _trainer;
    private readonly AdvantageEstimator _advantages;

    /// <summary>Creates the trainer.</summary>
    public SelfVerificationTrainer(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, PolicyGradientTrainer trainer,
        SelfVerificationOptions? options = null, VerificationPrompt? prompt = null, AdvantageEstimator? advantages = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(trainer);
        Options = options ?? new SelfVerificationOptions();
        Options.Validate();
        _model = model;
        _tokenizer = tokenizer;
        _template = template;
        _trainer = trainer;
        Prompt = prompt ?? new VerificationPrompt();
        _advantages = advantages ?? new GrpoAdvantageEstimator();
    }

    /// <summary>The options.</summary>
    public SelfVerificationOptions Options { get; }

    /// <summary>The verification format.</summary>
    public VerificationPrompt Prompt { get; }

    /// <summary>The on-policy pairs verification learns from.</summary>
    public VerificationBuffer Buffer { get; } = new();

    /// <summary>Whether a verification step is due after generation step <paramref name="generationStep"/> (one-based).</summary>
    public bool IsDue(int generationStep) => generationStep > 0 && generationStep % Options.Every == 0;

    /// <summary>Samples a balanced batch from the buffer, rolls out verdicts and trains on them.</summary>
    public VerificationStepResult Step(Random random, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(random);
        var pairs = Buffer.SampleBalanced(random, Options.PairsPerStep);
        if (pairs.Count == 0) return new VerificationStepResult(0, double.NaN, double.NaN, null);
        var prompts = pairs.Select(p => (IReadOnlyList<int>)_template.Encode(Prompt.Format(p), addGenerationPrompt: true).Ids.ToArray()).ToArray();
        var expanded = prompts.SelectMany(p => Enumerable.Repeat(p, Options.GroupSize)).ToArray();
        var generations = new PolicyGenerator(_model, _tokenizer.EndOfTextId).Generate(expanded,
            new SamplingOptions { Temperature = 1, MaxNewTokens = Options.MaxNewTokens, StopTokenIds = _template.StopTokenIds, Seed = seed });

        var samples = new List<PolicySample>();
        int right = 0, invalid = 0;
        for (int p = 0; p < pairs.Count; p++)
        {
            var group = Enumerable.Range(p * Options.GroupSize, Options.GroupSize).ToArray();
            var verdicts = group.Select(i => Prompt.Parse(TokenText.DecodeValidPrefix(_tokenizer, generations[i].TokenIds.Where(t => t != _template.EndOfTurnId).ToArray(), out _))).ToArray();
            var rewards = verdicts.Select(v => new GroupedReward(v == pairs[p].Correct ? 1 : 0)).ToArray();
            right += verdicts.Count(v => v == pairs[p].Correct);
            invalid += verdicts.Count(v => v is null);
            var advantages = _advantages.Estimate(rewards);
            if (advantages.All(a => a == 0)) continue;
            for (int j = 0; j < group.Length; j++)
            {
                var g = generations[group[j]];
                var prompt = prompts[p];
                samples.Add(new PolicySample([.. prompt, .. g.TokenIds], [.. prompt.Select(_ => false), .. g.TokenIds.Select(_ => true)],
                    [.. prompt.Select(_ => 0f), .. g.LogProbs], advantages[j]));
            }
        }
        var update = _trainer.Train(samples);
        int total = pairs.Count * Options.GroupSize;
        return new VerificationStepResult(pairs.Count, right / (double)total, invalid / (double)total, update);
    }

    /// <summary>Greedy verification accuracy of the policy on <paramref name="examples"/>.</summary>
    public double Evaluate(IReadOnlyList<VerificationExample> examples) => Evaluate(_model, _tokenizer, _template, examples, Prompt, Options.MaxNewTokens);

    /// <summary>Greedy verification accuracy of <paramref name="model"/> on <paramref name="examples"/>, without a trainer.</summary>
    /// <param name="model">The policy.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="template">Its chat template.</param>
    /// <param name="examples">The pairs to judge.</param>
    /// <param name="prompt">The verification format; null for the default.</param>
    /// <param name="maxNewTokens">Most tokens of a verdict.</param>
    /// <returns>The share of pairs judged right; NaN when <paramref name="examples"/> is empty.</returns>
    public static double Evaluate(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, IReadOnlyList<VerificationExample> examples,
        VerificationPrompt? prompt = null, int maxNewTokens = 4)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxNewTokens, 1);
        prompt ??= new VerificationPrompt();
        if (examples.Count == 0) return double.NaN;
        var prompts = examples.Select(p => (IReadOnlyList<int>)template.Encode(prompt.Format(p), addGenerationPrompt: true).Ids.ToArray()).ToArray();
        int right = 0;
        foreach (var chunk in Enumerable.Range(0, prompts.Length).Chunk(64))
        {
            var generations = new PolicyGenerator(model, tokenizer.EndOfTextId).Generate([.. chunk.Select(i => prompts[i])],
                new SamplingOptions { Temperature = 0, MaxNewTokens = maxNewTokens, StopTokenIds = template.StopTokenIds });
            for (int k = 0; k < chunk.Length; k++)
            {
                var text = TokenText.DecodeValidPrefix(tokenizer, generations[k].TokenIds.Where(t => t != template.EndOfTurnId).ToArray(), out _);
                if (prompt.Parse(text) == examples[chunk[k]].Correct) right++;
            }
        }
        return right / (double)examples.Count;
    }
}
