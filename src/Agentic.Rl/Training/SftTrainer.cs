using Agentic.Core.Chat;
using Agentic.Core.Randomness;
using Agentic.Rl.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Agentic.Rl.Training;

/// <summary>The figures of one supervised optimizer step.</summary>
/// <param name="Step">One-based number of the step just taken.</param>
/// <param name="Loss">Mean next-token cross-entropy over the tokens the policy produced.</param>
/// <param name="GradNorm">Global gradient norm before clipping.</param>
/// <param name="LmHeadGradNorm">Gradient norm of the lm_head weight before clipping.</param>
/// <param name="LearningRate">Learning rate used for this step.</param>
/// <param name="Tokens">Real (non-padding) tokens in the batch.</param>
/// <param name="LossTokens">Tokens that carried loss.</param>
public sealed record SftStepResult(int Step, double Loss, double GradNorm, double LmHeadGradNorm, double LearningRate, long Tokens, long LossTokens);

/// <summary>A loss or gradient that is NaN or infinite: the step was not applied.</summary>
public sealed class NonFiniteLossException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NonFiniteLossException(string message) : base(message) { }
}

/// <summary>
/// Supervised fine-tuning of a <see cref="MoeCausalLM"/>: masked next-token cross-entropy, AdamW, linear warmup plus
/// cosine decay, global gradient-norm clipping, and the router-bias update after each step. One dispose scope per
/// step keeps TorchSharp memory flat across steps.
/// </summary>
public sealed class SftTrainer : IDisposable, Checkpoints.ITrainerState
{
    private readonly MoeCausalLM _model;
    private readonly int _padTokenId;
    private readonly AdamW _optimizer;
    private WarmupCosineSchedule _schedule;
    private readonly Parameter[] _parameters;
    private IReadOnlyList<TokenizedConversation>? _sortedFor;
    private int[]? _sorted;

    /// <summary>Creates a trainer over <paramref name="model"/>.</summary>
    public SftTrainer(MoeCausalLM model, int padTokenId, SftOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _model = model;
        _padTokenId = padTokenId;
        Options = options;
        var named = model.named_parameters().ToArray();
        _parameters = named.Select(p => p.parameter).ToArray();
        ModelParameterNames = named.Select(p => p.name).ToArray();
        _optimizer = optim.AdamW(_parameters, options.LearningRate, options.Beta1, options.Beta2, weight_decay: options.WeightDecay);
        _schedule = new WarmupCosineSchedule(options.LearningRate, options.WarmupSteps, options.Steps, options.MinLearningRateRatio);
        Random = new DeterministicRandom(options.Seed);
    }

    /// <summary>The options the trainer was created with.</summary>
    public SftOptions Options { get; }

    /// <summary>Number of optimizer steps taken so far.</summary>
    public int StepCount { get; internal set; }

    /// <summary>
    /// The step at which the cosine decay reaches its floor: <see cref="SftOptions.Steps"/> unless re-planned with
    /// <see cref="PlanSteps"/>.
    /// </summary>
    public int PlannedSteps => _schedule.TotalSteps;

    /// <summary>The learning rate of the next step.</summary>
    public double CurrentLearningRate => _schedule.At(StepCount);

    /// <summary>
    /// Re-plans the schedule so that the cosine decay ends at <paramref name="totalSteps"/>. A run stopped by a time
    /// budget should end annealed, not at a high learning rate: measure the step time, then plan the steps that fit
    /// (the learning rate of a step already taken is unaffected; the next one follows the new plan).
    /// </summary>
    /// <param name="totalSteps">The new total, at least the steps taken plus one and at most <see cref="SftOptions.Steps"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalSteps"/> is outside that range.</exception>
    public void PlanSteps(int totalSteps)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalSteps, StepCount + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(totalSteps, Options.Steps);
        _schedule = _schedule with { TotalSteps = totalSteps };
    }

    /// <summary>The trainer's random stream (batch sampling); saved in checkpoints.</summary>
    public DeterministicRandom Random { get; }

    internal AdamW Optimizer => _optimizer;

    /// <summary>Names of the optimized parameters, in optimizer order.</summary>
    internal IReadOnlyList<string> ModelParameterNames { get; }

    AdamW Checkpoints.ITrainerState.Optimizer => _optimizer;
    IReadOnlyList<string> Checkpoints.ITrainerState.ModelParameterNames => ModelParameterNames;
    int Checkpoints.ITrainerState.StepCount { get => StepCount; set => StepCount = value; }
    DeterministicRandom? Checkpoints.ITrainerState.Random => Random;
    object Checkpoints.ITrainerState.Options => Options;

    /// <summary>Draws a batch of <see cref="SftOptions.BatchSize"/> examples (with replacement) from the trainer's stream.</summary>
    public IReadOnlyList<TokenizedConversation> SampleBatch(IReadOnlyList<TokenizedConversation> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException("The training set is empty.", nameof(data));
        var batch = new TokenizedConversation[Options.BatchSize];
        if (Options.LengthBucketing && data.Count > batch.Length)
        {
            if (!ReferenceEquals(_sortedFor, data))
            {
                _sorted = [.. Enumerable.Range(0, data.Count).OrderBy(i => data[i].Count).ThenBy(i => i)];
                _sortedFor = data;
            }
            // A random window of neighbouring lengths, four batches wide, sampled without replacement: batches pad
            // little yet still mix examples (a window one batch wide gives near-identical batches and noisy steps).
            int window = Math.Min(data.Count, 4 * batch.Length);
            int start = Random.Next(data.Count - window + 1);
            var picks = Enumerable.Range(start, window).ToArray();
            for (int i = 0; i < batch.Length; i++)
            {
                int j = i + Random.Next(window - i);
                (picks[i], picks[j]) = (picks[j], picks[i]);
                batch[i] = data[_sorted![picks[i]]];
            }
            return batch;
        }
        for (int i = 0; i < batch.Length; i++) batch[i] = data[Random.Next(data.Count)];
        return batch;
    }

    /// <summary>Takes one optimizer step on <paramref name="batch"/>.</summary>
    /// <exception cref="NonFiniteLossException">The loss or gradient is not finite; weights are left unchanged.</exception>
    public SftStepResult Step(IReadOnlyList<TokenizedConversation> batch)
    {
        using var scope = NewDisposeScope();
        double lr = CurrentLearningRate;
        foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;

        _model.train();
        using var data = TokenBatch.Create(batch, _padTokenId);
        var output = _model.forward(new CausalLMInput(data.Inputs));
        var logits = output.Logits;
        var loss = nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[^1]), data.Targets.reshape(-1), ignore_index: TokenBatch.IgnoreIndex);
        var total = output.AuxiliaryLoss is { } aux ? loss + aux : loss;
        double lossValue = loss.item<float>();
        if (!double.IsFinite(lossValue) || !double.IsFinite(total.item<float>()))
        {
            throw new NonFiniteLossException($"Non-finite SFT loss ({lossValue}) at step {StepCount + 1}; the step was skipped.");
        }

        _optimizer.zero_grad();
        total.backward();
        Gradients.EnsureAll(_parameters);
        double lmHeadNorm = _model.LmHead.weight!.grad!.norm().item<float>();
        double gradNorm = Options.MaxGradNorm > 0
            ? nn.utils.clip_grad_norm_(_parameters, Options.MaxGradNorm)
            : Gradients.GlobalNorm(_parameters);
        if (!double.IsFinite(gradNorm))
        {
            _optimizer.zero_grad();
            throw new NonFiniteLossException($"Non-finite gradient norm at step {StepCount + 1}; the step was skipped.");
        }
        _optimizer.step();
        _model.UpdateRouterBias();
        StepCount++;
        return new SftStepResult(StepCount, lossValue, gradNorm, lmHeadNorm, lr, data.Tokens, data.LossTokens);
    }

    /// <inheritdoc />
    public void Dispose() => _optimizer.Dispose();
}
