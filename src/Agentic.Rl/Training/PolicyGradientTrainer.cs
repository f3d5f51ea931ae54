using Agentic.Rl.Gating;
using Agentic.Rl.Losses;
using Agentic.Rl.Modeling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Agentic.Rl.Training;

/// <summary>One optimizer update (or gated non-update) on a rollout batch.</summary>
/// <param name="ReuseIndex">One-based index of the update on its batch.</param>
/// <param name="Loss">The surrogate loss.</param>
/// <param name="ClipFraction">Share of loss tokens whose ratio was clipped.</param>
/// <param name="Kl">Mean per-token KL estimate to the reference (null without a reference).</param>
/// <param name="Entropy">Mean per-token policy entropy over loss tokens.</param>
/// <param name="MeanRatio">Mean importance ratio over loss tokens.</param>
/// <param name="GradNorm">Global gradient norm before clipping (0 when gated).</param>
/// <param name="Gate">The gate's decision, with the lm_head gradient norm it was made on.</param>
public sealed record PolicyUpdate(int ReuseIndex, double Loss, double ClipFraction, double? Kl, double Entropy, double MeanRatio, double GradNorm, GateDecision Gate)
{
    /// <summary>Whether the optimizer applied this update (the gate did not fire).</summary>
    public bool Applied => !Gate.Fired;
}

/// <summary>What one call of <see cref="PolicyGradientTrainer.Train"/> did.</summary>
/// <param name="Updates">The updates tried on the batch, in order (the last one may be gated).</param>
/// <param name="Samples">Sequences in the batch.</param>
/// <param name="LossTokens">Tokens that carried loss.</param>
/// <param name="MaxLogProbMismatch">Largest |recomputed - sampled| log-probability over loss tokens (0 when old
/// log-probabilities are not recomputed): how far the rollout engine and the trainer disagree.</param>
/// <param name="MeanImportanceWeight">Mean truncated importance weight over loss tokens (1 without correction).</param>
public sealed record PolicyGradientResult(IReadOnlyList<PolicyUpdate> Updates, int Samples, long LossTokens, double MaxLogProbMismatch, double MeanImportanceWeight)
{
    /// <summary>Number of updates the optimizer applied.</summary>
    public int Applied => Updates.Count(u => u.Applied);

    /// <summary>Whether the gate stopped the reuse of this batch.</summary>
    public bool Gated => Updates.Any(u => u.Gate.Fired);
}

/// <summary>
/// Policy-gradient updates of a <see cref="MoeCausalLM"/> on multi-turn rollouts (GRPO, DAPO and PPO-style clipped
/// surrogates): given sequences with their loss masks, sampling log-probabilities and advantages, it recomputes the
/// behaviour log-probabilities (or takes the sampled ones), then takes up to <see cref="PolicyGradientOptions.MaxReuse"/>
/// AdamW updates on the batch. Between <c>backward()</c> and the optimizer step, a <see cref="GradientGate"/> sees the
/// lm_head gradient norm; when it fires, the gradients are zeroed, the optimizer state is left untouched and the batch
/// is not reused again (Dynamic Gradient Gating). A NaN or infinite loss or gradient stops the step with
/// <see cref="NonFiniteLossException"/> and leaves the weights and optimizer unchanged.
/// </summary>
public sealed class PolicyGradientTrainer : IDisposable, Checkpoints.ITrainerState
{
    private readonly MoeCausalLM _model;
    private readonly MoeCausalLM? _reference;
    private readonly int _padTokenId;
    private readonly AdamW _optimizer;
    private readonly Parameter[] _parameters;
    private readonly ClippedPolicyLoss _loss;
    private readonly string[] _parameterNames;
    private readonly WarmupCosineSchedule _schedule;

    /// <summary>Creates a trainer.</summary>
    /// <param name="model">The policy to train.</param>
    /// <param name="padTokenId">Token id used for padding.</param>
    /// <param name="options">Options.</param>
    /// <param name="gate">The gradient gate (null: never gate, which with <see cref="PolicyGradientOptions.MaxReuse"/> &gt; 1 is naive reuse).</param>
    /// <param name="loss">The surrogate loss (null: <see cref="ClippedPolicyLoss"/> with <see cref="PolicyGradientOptions.Loss"/>).</param>
    /// <param name="reference">A frozen reference policy for the KL term (needed only when the KL coefficient is positive).</param>
    public PolicyGradientTrainer(MoeCausalLM model, int padTokenId, PolicyGradientOptions options, GradientGate? gate = null,
        ClippedPolicyLoss? loss = null, MoeCausalLM? reference = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Loss.KlCoefficient > 0 && reference is null)
            throw new ArgumentException("A KL coefficient above 0 needs a reference policy.", nameof(reference));
        _model = model;
        _reference = reference;
        _padTokenId = padTokenId;
        Options = options;
        Gate = gate ?? new OpenGradientGate();
        _loss = loss ?? new ClippedPolicyLoss(options.Loss);
        var named = model.named_parameters().ToArray();
        _parameters = named.Select(p => p.parameter).ToArray();
        _parameterNames = named.Select(p => p.name).ToArray();
        _optimizer = optim.AdamW(_parameters, options.LearningRate, options.Beta1, options.Beta2, weight_decay: options.WeightDecay);
        // Linear warmup, then constant (a floor ratio of 1 leaves no decay).
        _schedule = new WarmupCosineSchedule(options.LearningRate, options.WarmupUpdates, TotalSteps: 1, MinRatio: 1);
    }

    /// <summary>The trainer's options.</summary>
    public PolicyGradientOptions Options { get; }

    /// <summary>The gradient gate.</summary>
    public GradientGate Gate { get; }

    /// <summary>Optimizer updates applied so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>The learning rate of the next update (linear warmup over <see cref="PolicyGradientOptions.WarmupUpdates"/>).</summary>
    public double CurrentLearningRate => _schedule.At(StepCount);

    AdamW Checkpoints.ITrainerState.Optimizer => _optimizer;
    IReadOnlyList<string> Checkpoints.ITrainerState.ModelParameterNames => _parameterNames;
    int Checkpoints.ITrainerState.StepCount { get => StepCount; set => StepCount = value; }
    Agentic.Core.Randomness.DeterministicRandom? Checkpoints.ITrainerState.Random => null;
    object Checkpoints.ITrainerState.Options => Options;

    /// <summary>Trains on one rollout batch: up to <see cref="PolicyGradientOptions.MaxReuse"/> updates, stopped early by the gate.</summary>
    /// <param name="samples">The batch.</param>
    /// <exception cref="ArgumentException">A sample is malformed.</exception>
    /// <exception cref="NonFiniteLossException">A loss or gradient is NaN or infinite; the update was not applied.</exception>
    public PolicyGradientResult Train(IReadOnlyList<PolicySample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        foreach (var s in samples) s.Validate();
        // Shortest first, so each micro-batch pads to a similar length: less padding computed (and routed) for nothing.
        // The loss is normalised over the whole batch, so the order changes no figure.
        var batch = samples.Where(s => s.LossTokens > 0).OrderBy(s => s.TokenIds.Length).ToArray();
        long lossTokens = batch.Sum(s => (long)s.LossTokens);
        if (batch.Length == 0) return new PolicyGradientResult([], samples.Count, 0, 0, 1);

        // Behaviour log-probabilities, importance weights and reference log-probabilities are fixed for the whole batch.
        float[][] old;
        float[][]? weights = null;
        double mismatch = 0, weightSum = 0;
        if (Options.OldLogProbs == OldLogProbSource.Recompute)
        {
            old = LogProbsWithoutGradient(_model, batch);
            var cap = Options.Loss.TruncatedImportanceCap;
            if (cap is not null) weights = new float[batch.Length][];
            for (int i = 0; i < batch.Length; i++)
            {
                var s = batch[i];
                if (weights is not null) weights[i] = new float[s.TokenIds.Length];
                for (int t = 0; t < s.TokenIds.Length; t++)
                {
                    if (!s.LossMask[t]) continue;
                    double diff = old[i][t] - s.LogProbs[t];
                    mismatch = Math.Max(mismatch, Math.Abs(diff));
                    if (weights is not null)
                    {
                        float w = (float)Math.Min(Math.Exp(diff), cap!.Value);
                        weights[i][t] = w;
                        weightSum += w;
                    }
                }
            }
        }
        else
        {
            old = [.. batch.Select(s => s.LogProbs)];
        }
        double meanWeight = weights is null ? 1 : weightSum / lossTokens;
        var reference = _reference is not null && Options.Loss.KlCoefficient > 0 ? LogProbsWithoutGradient(_reference, batch) : null;

        var updates = new List<PolicyUpdate>();
        for (int reuse = 1; reuse <= Options.MaxReuse; reuse++)
        {
            var update = Update(batch, old, weights, reference, lossTokens, reuse);
            updates.Add(update);
            if (update.Gate.Fired) break;
        }
        return new PolicyGradientResult(updates, samples.Count, lossTokens, mismatch, meanWeight);
    }

    private PolicyUpdate Update(PolicySample[] batch, float[][] old, float[][]? weights, float[][]? reference, long lossTokens, int reuse)
    {
        _model.train();
        _optimizer.zero_grad();
        double loss = 0, clipped = 0, kl = 0, entropy = 0, ratio = 0;
        for (int start = 0; start < batch.Length; start += Options.MicroBatchSize)
        {
            int count = Math.Min(Options.MicroBatchSize, batch.Length - start);
            using var scope = NewDisposeScope();
            using var micro = MicroBatch.Create(batch, start, count, _padTokenId);
            var (logProbs, ent) = TokenLogProbs(_model, micro, withEntropy: true, Options.Temperature);
            var input = new PolicyLossInput(
                logProbs,
                micro.Gather(old, start),
                micro.Advantages,
                micro.Mask,
                weights is null ? null : micro.Gather(weights, start),
                reference is null ? null : micro.Gather(reference, start),
                ent);
            var normalizer = Options.Loss.Aggregation == LossAggregation.TokenMean
                ? tensor((float)lossTokens)
                : micro.SequenceTokenCounts * batch.Length;
            var output = _loss.Compute(input, normalizer);
            double value = output.Loss.item<float>();
            if (!double.IsFinite(value))
            {
                _optimizer.zero_grad();
                throw new NonFiniteLossException($"Non-finite policy loss ({value}) at update {StepCount + 1} (reuse {reuse}); the update was not applied.");
            }
            output.Loss.backward();
            loss += value;
            clipped += output.ClippedTokens;
            kl += output.KlSum;
            entropy += output.EntropySum;
            ratio += output.RatioSum;
        }

        Gradients.EnsureAll(_parameters);
        double lmHeadNorm = _model.LmHead.weight!.grad!.norm().item<float>();
        if (!double.IsFinite(lmHeadNorm))
        {
            _optimizer.zero_grad();
            throw new NonFiniteLossException($"Non-finite lm_head gradient norm at update {StepCount + 1} (reuse {reuse}); the update was not applied.");
        }
        var decision = Gate.Decide(lmHeadNorm, reuse);
        double gradNorm = 0;
        if (decision.Fired)
        {
            // Gated: the gradients are dropped before AdamW's moments see them.
            _optimizer.zero_grad();
        }
        else
        {
            gradNorm = Options.MaxGradNorm > 0 ? nn.utils.clip_grad_norm_(_parameters, Options.MaxGradNorm) : Gradients.GlobalNorm(_parameters);
            if (!double.IsFinite(gradNorm))
            {
                _optimizer.zero_grad();
                throw new NonFiniteLossException($"Non-finite gradient norm at update {StepCount + 1} (reuse {reuse}); the update was not applied.");
            }
            double lr = CurrentLearningRate;
            foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
            _optimizer.step();
            if (Options.BalanceRouters) _model.UpdateRouterBias();
            else _model.DiscardPendingRouterLoad();
            StepCount++;
        }
        double n = lossTokens;
        return new PolicyUpdate(reuse, loss, clipped / n, reference is null ? null : kl / n, entropy / n, ratio / n, gradNorm, decision);
    }

    /// <summary>
    /// The log-probability of every token of each sample under <paramref name="model"/> (index t holds the
    /// log-probability of token t given tokens before it; index 0 is 0), computed by a full forward pass without gradient.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="samples">The sequences.</param>
    /// <param name="microBatchSize">Sequences per forward pass.</param>
    /// <param name="padTokenId">Padding token id.</param>
    /// <param name="temperature">Sampling temperature the log-probabilities are computed at (logits / T).</param>
    public static float[][] ComputeLogProbs(MoeCausalLM model, IReadOnlyList<PolicySample> samples, int microBatchSize, int padTokenId, double temperature = 1.0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfLessThan(microBatchSize, 1);
        var batch = samples.ToArray();
        var result = new float[batch.Length][];
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            for (int start = 0; start < batch.Length; start += microBatchSize)
            {
                int count = Math.Min(microBatchSize, batch.Length - start);
                using var scope = NewDisposeScope();
                using var micro = MicroBatch.Create(batch, start, count, padTokenId);
                var (logProbs, _) = TokenLogProbs(model, micro, withEntropy: false, temperature);
                micro.Scatter(logProbs, result, start);
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return result;
    }

    private float[][] LogProbsWithoutGradient(MoeCausalLM model, PolicySample[] batch) =>
        ComputeLogProbs(model, batch, Options.MicroBatchSize, _padTokenId, Options.Temperature);

    private static (Tensor LogProbs, Tensor? Entropy) TokenLogProbs(MoeCausalLM model, MicroBatch micro, bool withEntropy, double temperature)
    {
        var logits = model.forward(new CausalLMInput(micro.Inputs)).Logits.to(float32);
        if (temperature != 1.0) logits = logits.DividedBy(temperature);
        var logSoftmax = nn.functional.log_softmax(logits, -1);
        var logProbs = logSoftmax.gather(-1, micro.Targets.unsqueeze(-1)).squeeze(-1);
        Tensor? entropy = null;
        if (withEntropy) entropy = -(logSoftmax.exp() * logSoftmax).sum(-1);
        return (logProbs, entropy);
    }



    /// <inheritdoc />
    public void Dispose() => _optimizer.Dispose();

    /// <summary>A right-padded micro-batch: inputs are tokens 0..n-2, targets tokens 1..n-1.</summary>
    private sealed class MicroBatch : IDisposable
    {
        private readonly int _positions;
        private readonly PolicySample[] _samples;

        private MicroBatch(PolicySample[] samples, int positions, Tensor inputs, Tensor targets, Tensor mask, Tensor advantages, Tensor counts)
        {
            _samples = samples;
            _positions = positions;
            Inputs = inputs;
            Targets = targets;
            Mask = mask;
            Advantages = advantages;
            SequenceTokenCounts = counts;
        }

        public Tensor Inputs { get; }
        public Tensor Targets { get; }
        public Tensor Mask { get; }
        public Tensor Advantages { get; }
        public Tensor SequenceTokenCounts { get; }

        public static MicroBatch Create(IReadOnlyList<PolicySample> all, int start, int count, int padTokenId)
        {
            var samples = Enumerable.Range(start, count).Select(i => all[i]).ToArray();
            int positions = samples.Max(s => s.TokenIds.Length) - 1;
            var inputs = new long[count * positions];
            var targets = new long[count * positions];
            var mask = new float[count * positions];
            var advantages = new float[count * positions];
            var counts = new float[count * positions];
            Array.Fill(inputs, padTokenId);
            for (int b = 0; b < count; b++)
            {
                var s = samples[b];
                int n = s.TokenIds.Length - 1;
                float tokens = Math.Max(1, s.LossTokens);
                for (int t = 0; t < positions; t++)
                {
                    int k = b * positions + t;
                    counts[k] = tokens;
                    if (t >= n) continue;
                    advantages[k] = (float)s.AdvantageAt(t + 1);
                    inputs[k] = s.TokenIds[t];
                    targets[k] = s.TokenIds[t + 1];
                    mask[k] = s.LossMask[t + 1] ? 1f : 0f;
                }
            }
            long[] shape = [count, positions];
            return new MicroBatch(samples, positions,
                tensor(inputs, shape), tensor(targets, shape), tensor(mask, shape), tensor(advantages, shape), tensor(counts, shape));
        }

        /// <summary>Lays per-token values (index t = token t) of the micro-batch's samples out as a [batch, positions] tensor.</summary>
        public Tensor Gather(float[][] values, int start)
        {
            var data = new float[_samples.Length * _positions];
            for (int b = 0; b < _samples.Length; b++)
            {
                var v = values[start + b];
                int n = _samples[b].TokenIds.Length - 1;
                for (int t = 0; t < n; t++) data[b * _positions + t] = v[t + 1];
            }
            return tensor(data, [_samples.Length, _positions]);
        }

        /// <summary>The inverse of <see cref="Gather"/>: writes per-token values into arrays aligned with the samples' tokens.</summary>
        public void Scatter(Tensor perPosition, float[][] destination, int start)
        {
            using var cpu = perPosition.to(float32).cpu().contiguous();
            var data = cpu.data<float>().ToArray();
            for (int b = 0; b < _samples.Length; b++)
            {
                int length = _samples[b].TokenIds.Length;
                var row = new float[length];
                for (int t = 0; t < length - 1; t++) row[t + 1] = data[b * _positions + t];
                destination[start + b] = row;
            }
        }

        public void Dispose()
        {
            Inputs.Dispose();
            Targets.Dispose();
            Mask.Dispose();
            Advantages.Dispose();
            SequenceTokenCounts.Dispose();
        }
    }
}
